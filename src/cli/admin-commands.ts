import crypto from 'node:crypto';
import type { Command } from 'commander';
import { passwordSchema, handleSchema } from '../accounts/account-schemas';
import { roleSchema } from '../accounts/roles';
import { verifyAuditChain } from '../audit/audit-repository';
import { readStdin, withRuntime } from './runtime-command';

export function registerAdminCommands(program: Command): void {
  const accounts = program.command('accounts').description('Manage accounts and roles');

  accounts
    .command('create-operator')
    .description('Create an operator account (how the first operator comes to exist)')
    .requiredOption('--handle <handle>', 'the operator handle')
    .option('--password-stdin', 'read the password from standard input')
    .option('--generate-password', 'generate a password and print it once')
    .action(async (o: { handle: string; passwordStdin?: boolean; generatePassword?: boolean }) => {
      const handle = handleSchema.parse(o.handle);
      let password: string;
      if (o.passwordStdin) password = (await readStdin()).trim();
      else if (o.generatePassword) password = crypto.randomBytes(18).toString('base64url');
      else throw new Error('Give --password-stdin or --generate-password.');
      passwordSchema.parse(password);
      const account = await withRuntime((rt) => rt.accounts.createOperator({ handle, password }));
      process.stdout.write(`created operator ${account.handle} (${account.id})\n`);
      if (o.generatePassword) process.stdout.write(`password: ${password}\n`);
    });

  accounts
    .command('grant <handle> <role>')
    .description('Grant a role to an account (e.g. rightsholder after verifying the organisation)')
    .action(async (handle: string, role: string) => {
      const r = roleSchema.parse(role);
      await withRuntime(async (rt) => {
        const a = await rt.accounts.findByHandle(handle);
        if (!a) throw new Error(`No account has the handle ${handle}.`);
        const updated = await rt.accounts.grantRole(null, a.id, r);
        process.stdout.write(`${updated.handle}: ${updated.roles.join(', ')}\n`);
      });
    });

  accounts
    .command('list')
    .description('List accounts')
    .option('--role <role>', 'only accounts holding this role')
    .action(async (o: { role?: string }) => {
      await withRuntime(async (rt) => {
        const list = await rt.accounts.list({
          limit: 1000,
          role: o.role ? roleSchema.parse(o.role) : undefined,
        });
        for (const a of list) process.stdout.write(`${a.handle}\t${a.roles.join(',')}\t${a.id}\n`);
      });
    });

  const audit = program.command('audit').description('The hash-chained audit log');
  audit
    .command('verify')
    .description('Check the audit hash chain; exits 1 and names the first broken row if it does not hold')
    .option('--json', 'print the report as JSON')
    .action(async (o: { json?: boolean }) => {
      const report = await withRuntime((rt) => verifyAuditChain(rt.db));
      if (o.json) process.stdout.write(`${JSON.stringify(report)}\n`);
      else if (report.ok) process.stdout.write(`audit chain intact: ${report.rowsChecked} rows checked\n`);
      else process.stdout.write(`audit chain BROKEN at row ${report.firstBrokenId}: ${report.reason}\n`);
      process.exitCode = report.ok ? 0 : 1;
    });
}
