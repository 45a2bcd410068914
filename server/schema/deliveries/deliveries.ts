import { rotateAssistantCallbackSecret, setAssistantCallback } from '../../deliveries/callback-settings.ts';
import { payloadAssistantField } from '../assistants/assistant-payload.ts';
import { builder } from '../builder.ts';
import { MUTATION_ERRORS } from '../errors.ts';
import { actorOf } from '../viewer-actor.ts';

/** A call's or execution's deliveries are listed whole: a few channels times a result and its progress messages. */
const MAX_LISTED_DELIVERIES = 500;

const DeliveryChannelEnum = builder.enumType('DeliveryChannel', {
  description: 'How results reach a live call.',
  values: {
    VAPI_CONTROL: { description: "Spoken into the live call through Vapi's control URL." },
    WEBHOOK: { description: "POSTed, signed, to the assistant's callback URL." },
  },
});

const DeliveryStatusEnum = builder.enumType('DeliveryStatus', {
  description: 'Where a delivery stands.',
  values: {
    PENDING: { description: 'Not sent yet, or waiting for its next attempt.' },
    DELIVERED: { description: 'The receiver answered 2xx.' },
    FAILED: { description: 'Refused for good (4xx, a destination not allowed) or out of attempts.' },
    UNDELIVERED: { description: 'The call had ended: nothing was sent into it.' },
  },
});

const DeliveryEventEnum = builder.enumType('DeliveryEvent', {
  description: 'What a delivery carries.',
  values: { RESULT: { value: 'result' }, PROGRESS: { value: 'progress' } } as const,
});

const ResultDeliveryRef = builder.prismaObject('ResultDelivery', {
  description: 'A result or progress message sent back into a call, through one channel.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The delivery id receivers dedupe by (Switchboard-Delivery-Id).' }),
    channel: t.expose('channel', { type: DeliveryChannelEnum, description: 'How it is delivered.' }),
    event: t.field({
      type: DeliveryEventEnum,
      resolve: (delivery) => delivery.event as 'result' | 'progress',
      description: 'A result or a progress message.',
    }),
    sequence: t.exposeInt('sequence', { description: "The progress message's sequence; 0 for a result." }),
    status: t.expose('status', { type: DeliveryStatusEnum, description: 'Where the delivery stands.' }),
    attempts: t.exposeInt('attempts', { description: 'Attempts made so far.' }),
    lastError: t.exposeString('lastError', {
      nullable: true,
      description: 'Why the last attempt failed; null when none did.',
    }),
    callEnded: t.exposeBoolean('callEnded', { description: 'The call had ended when it was recorded or sent.' }),
    executionId: t.exposeID('executionId', { description: 'The execution whose result or progress this is.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was recorded.' }),
    deliveredAt: t.expose('deliveredAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the receiver accepted it; null until then.',
    }),
  }),
});

const oldestFirst = { orderBy: [{ createdAt: 'asc' as const }, { id: 'asc' as const }], take: MAX_LISTED_DELIVERIES };

builder.prismaObjectField('Call', 'deliveries', (t) =>
  t.relation('deliveries', {
    description: 'Results and progress sent back into the call, oldest first.',
    query: oldestFirst,
  }),
);

builder.prismaObjectField('ToolExecution', 'deliveries', (t) =>
  t.relation('deliveries', {
    description: "Where this execution's result and progress were sent, oldest first.",
    query: oldestFirst,
  }),
);

builder.prismaObjectField('Assistant', 'callbackUrl', (t) =>
  t.exposeString('callbackUrl', {
    nullable: true,
    description: 'Where results and progress are POSTed, signed with the callback secret (never readable).',
  }),
);

const SetAssistantCallbackInput = builder.inputType('SetAssistantCallbackInput', {
  description: "An assistant's webhook callback URL.",
  fields: (t) => ({
    assistantId: t.id({ required: true, description: 'The assistant.' }),
    url: t.string({ description: 'An http(s) URL; null removes the callback and its secret.' }),
  }),
});

const RotateAssistantCallbackSecretInput = builder.inputType('RotateAssistantCallbackSecretInput', {
  description: 'The assistant whose callback signing secret to replace.',
  fields: (t) => ({ assistantId: t.id({ required: true, description: 'The assistant.' }) }),
});

const AssistantCallbackRef = builder
  .objectRef<{ assistant: { id: string }; secret: string | null }>('AssistantCallback')
  .implement({
    description: "An assistant's callback settings.",
    fields: (t) => ({
      assistant: payloadAssistantField(t),
      secret: t.exposeString('secret', {
        nullable: true,
        description:
          'The signing secret (whsec_…), shown only when it was created: at the first URL and at each rotation. Verify Switchboard-Signature with it.',
      }),
    }),
  });

builder.mutationFields((t) => ({
  setAssistantCallback: t.field({
    type: AssistantCallbackRef,
    authScopes: { role: 'ADMIN' },
    description:
      "Sets the URL the assistant's execution results and progress are POSTed to (signed). The first URL creates the signing secret, returned once; null removes both.",
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'SetAssistantCallbackResult', description: 'The callback settings, or why not.' },
    },
    args: { input: t.arg({ type: SetAssistantCallbackInput, required: true }) },
    resolve: (_root, { input }, context) =>
      setAssistantCallback(context.services, actorOf(context), String(input.assistantId), input.url ?? null),
  }),
  rotateAssistantCallbackSecret: t.field({
    type: AssistantCallbackRef,
    authScopes: { role: 'ADMIN' },
    description: 'A new callback signing secret, returned once; deliveries are signed with it from now on.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'RotateAssistantCallbackSecretResult', description: 'The new secret, or why not.' },
    },
    args: { input: t.arg({ type: RotateAssistantCallbackSecretInput, required: true }) },
    resolve: (_root, { input }, context) =>
      rotateAssistantCallbackSecret(context.services, actorOf(context), String(input.assistantId)),
  }),
}));

export { ResultDeliveryRef };
