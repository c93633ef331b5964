/** Turns what the generation pipeline knows into a c2pa-rs manifest definition. */
import { z } from 'zod';
import { Invalid } from '../http/errors';

export const TRAINED_ALGORITHMIC_MEDIA =
  'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia';
export const GENERATION_ASSERTION = 'com.consentry.generation';
export const SOFT_BINDING_ASSERTION = 'c2pa.soft-binding';

export const manifestInputSchema = z.object({
  title: z.string().min(1).max(256).optional(),
  generationId: z.string().min(1).max(128),
  model: z.object({ name: z.string().min(1).max(128), version: z.string().min(1).max(64) }),
  // Opaque references only: anything that looks like more than an id is refused.
  cameoRefs: z
    .array(z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'cameo references must be opaque ids'))
    .max(64),
  softBinding: z
    .object({
      alg: z.string().min(1).max(128),
      payloadHex: z.string().regex(/^([0-9a-fA-F]{2}){1,256}$/, 'payloadHex must be hex bytes'),
    })
    .optional(),
  ingredients: z
    .array(
      z.object({
        title: z.string().min(1).max(256),
        bytes: z.instanceof(Buffer),
        mimeType: z.string().optional(),
      }),
    )
    .max(16)
    .optional(),
  createdAt: z.date().optional(),
});

export type ManifestInputParsed = z.infer<typeof manifestInputSchema>;

export function parseManifestInput(input: unknown): ManifestInputParsed {
  const r = manifestInputSchema.safeParse(input);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new Invalid(
      'manifest_input_invalid',
      `The manifest input is invalid at ${first.path.join('.') || 'root'}: ${first.message}.`,
    );
  }
  return r.data;
}

export function manifestDefinition(
  input: ManifestInputParsed,
  generator: { name: string; version: string },
  format: string,
): Record<string, unknown> {
  const when = (input.createdAt ?? new Date()).toISOString();
  const assertions: { label: string; data: unknown }[] = [
    {
      label: 'c2pa.actions.v2',
      data: {
        actions: [
          {
            action: 'c2pa.created',
            when,
            digitalSourceType: TRAINED_ALGORITHMIC_MEDIA,
            softwareAgent: { name: input.model.name, version: input.model.version },
          },
        ],
      },
    },
    {
      label: GENERATION_ASSERTION,
      data: {
        generationId: input.generationId,
        model: input.model,
        cameoRefs: input.cameoRefs,
        createdAt: when,
      },
    },
  ];
  if (input.softBinding) {
    assertions.push({
      label: SOFT_BINDING_ASSERTION,
      data: {
        alg: input.softBinding.alg,
        blocks: [{ scope: {}, value: Buffer.from(input.softBinding.payloadHex, 'hex').toString('base64') }],
      },
    });
  }
  return {
    claim_generator_info: [generator],
    title: input.title ?? `Generation ${input.generationId}`,
    format,
    assertions,
  };
}
