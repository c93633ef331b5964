import type { ApiRouter } from '../http/api-router';
import type { JobDefinition } from '../queue/job-registry';

/** What a domain contributes to a process: HTTP routes, job handlers, CLI-independent cleanup. */
export interface DomainModule {
  name: string;
  routes?(api: ApiRouter): void;
  jobs?: JobDefinition[];
  close?(): Promise<void>;
}
