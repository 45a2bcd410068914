import {
  createAlertChannel,
  deleteAlertChannel,
  MAX_CHANNELS_PER_ORGANIZATION,
} from '../../alerting/alert-channels.ts';
import {
  createAlertRule,
  deleteAlertRule,
  MAX_RULES_PER_ORGANIZATION,
  updateAlertRule,
  type AlertRuleInput,
} from '../../alerting/alert-rules.ts';
import { builder } from '../builder.ts';
import { MUTATION_ERRORS } from '../errors.ts';
import { actorOf } from '../viewer-actor.ts';

const AlertChannelKindEnum = builder.enumType('AlertChannelKind', {
  description: 'How an alert channel delivers.',
  values: {
    WEBHOOK: { description: 'POSTed as JSON, signed with Switchboard-Signature (HMAC-SHA256 over "<t>.<body>").' },
    SLACK: { description: 'A Slack-compatible incoming webhook: `{ text, blocks }`.' },
    EMAIL: { description: 'An email over the SMTP server in SWITCHBOARD_SMTP_URL.' },
  },
});

const AlertRuleKindEnum = builder.enumType('AlertRuleKind', {
  description: 'What an alert rule watches.',
  values: {
    TOOL_HEALTH: {
      description: 'A tool turns to one of healthLevels (DEGRADED, FAILING); resolves when it leaves them.',
    },
    ERROR_RATE: {
      description: 'Share of finished executions that did not succeed over windowSeconds, above threshold (0..1).',
    },
    P95_LATENCY: { description: 'p95 duration over windowSeconds above threshold milliseconds.' },
    VOLUME_ANOMALY: {
      description:
        'Executions over windowSeconds more than threshold times, or less than 1/threshold of, the average of the 24 windows before.',
    },
    SECURITY_EVENT: {
      description: 'A security event of one of securityEventKinds; resolves windowSeconds after it fired.',
    },
  },
});

const AlertChannelRef = builder.prismaObject('AlertChannel', {
  description: "Where an organization's alerts are sent.",
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The channel id.' }),
    name: t.exposeString('name', { description: 'A name to tell channels apart.' }),
    kind: t.expose('kind', { type: AlertChannelKindEnum, description: 'How it delivers.' }),
    url: t.exposeString('url', { nullable: true, description: 'WEBHOOK and SLACK.' }),
    email: t.exposeString('email', { nullable: true, description: 'EMAIL.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was created.' }),
  }),
});

const AlertRuleRef = builder.prismaObject('AlertRule', {
  description: 'What fires an alert, and which channels hear about it.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The rule id.' }),
    name: t.exposeString('name', { description: 'Shown in every notification.' }),
    kind: t.expose('kind', { type: AlertRuleKindEnum, description: 'What it watches.' }),
    enabled: t.exposeBoolean('enabled', { description: 'A disabled rule closes its open incidents quietly.' }),
    toolId: t.exposeID('toolId', { nullable: true, description: 'Only this tool; null means every tool.' }),
    healthLevels: t.exposeStringList('healthLevels', { description: 'TOOL_HEALTH: DEGRADED and/or FAILING.' }),
    securityEventKinds: t.exposeStringList('securityEventKinds', { description: 'SECURITY_EVENT: the kinds.' }),
    threshold: t.exposeFloat('threshold', {
      nullable: true,
      description: 'ERROR_RATE: a fraction; P95_LATENCY: milliseconds; VOLUME_ANOMALY: a factor.',
    }),
    windowSeconds: t.exposeInt('windowSeconds', {
      nullable: true,
      description: 'The window the rule measures over (null for TOOL_HEALTH).',
    }),
    minExecutions: t.exposeInt('minExecutions', {
      description: 'Fewer finished executions in the window never fire.',
    }),
    channels: t.field({
      type: [AlertChannelRef],
      description: 'Where its notifications go.',
      select: { channels: { select: { channel: true } } },
      resolve: (rule) => rule.channels.map((link) => link.channel),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was created.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When it last changed.' }),
  }),
});

builder.prismaObject('AlertIncident', {
  description:
    'One firing of a rule for one tool (or security event kind): notified when it fired and when it resolved.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The incident id.' }),
    rule: t.relation('rule', { description: 'The rule that fired.' }),
    dedupeKey: t.exposeString('dedupeKey', { description: 'The tool id, or the security event kind.' }),
    summary: t.exposeString('summary', { description: 'What fired, in one line (as notified).' }),
    value: t.exposeFloat('value', { nullable: true, description: 'The measured value when it fired, if any.' }),
    firedAt: t.expose('firedAt', { type: 'DateTime', description: 'When it fired.' }),
    resolvedAt: t.expose('resolvedAt', { type: 'DateTime', nullable: true, description: 'Null while firing.' }),
    lastNotifiedAt: t.expose('lastNotifiedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When a notification was last delivered.',
    }),
    notifications: t.exposeInt('notifications', { description: 'Notifications delivered (firing and resolved).' }),
    lastError: t.exposeString('lastError', { nullable: true, description: 'The last delivery failures, per channel.' }),
  }),
});

const CreateAlertChannelInput = builder.inputType('CreateAlertChannelInput', {
  description: 'A new alert channel.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'A name to tell channels apart.' }),
    kind: t.field({ type: AlertChannelKindEnum, required: true, description: 'How it delivers.' }),
    url: t.string({ description: 'WEBHOOK and SLACK: an http(s) URL.' }),
    email: t.string({ description: 'EMAIL: the address.' }),
  }),
});

const AlertRuleInputType = builder.inputType('AlertRuleInput', {
  description: 'An alert rule as a whole.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'Shown in every notification.' }),
    kind: t.field({ type: AlertRuleKindEnum, required: true, description: 'What it watches.' }),
    enabled: t.boolean({ description: 'Default true.' }),
    toolId: t.id({ description: 'Only this tool; omitted means every tool.' }),
    healthLevels: t.stringList({ description: 'TOOL_HEALTH; default ["FAILING"].' }),
    securityEventKinds: t.stringList({ description: 'SECURITY_EVENT: at least one kind.' }),
    threshold: t.float({ description: 'ERROR_RATE: 0..1; P95_LATENCY: ms; VOLUME_ANOMALY: a factor above 1.' }),
    windowSeconds: t.int({ description: '60 to 86400; default 300.' }),
    minExecutions: t.int({ description: 'Default 5.' }),
    channelIds: t.idList({ required: true, description: 'One to ten channels of this organization.' }),
  }),
});

const UpdateAlertRuleInput = builder.inputType('UpdateAlertRuleInput', {
  description: 'A rule to replace.',
  fields: (t) => ({
    id: t.id({ required: true, description: 'The rule.' }),
    rule: t.field({ type: AlertRuleInputType, required: true, description: 'The whole rule; it replaces the old.' }),
  }),
});

const IdInput = builder.inputType('AlertIdInput', {
  description: 'An alert channel or rule.',
  fields: (t) => ({ id: t.id({ required: true, description: 'Its id.' }) }),
});
const SendTestAlertInput = builder.inputType('SendTestAlertInput', {
  description: 'The channel to test.',
  fields: (t) => ({ channelId: t.id({ required: true, description: 'The channel.' }) }),
});

const CreatedAlertChannelRef = builder
  .objectRef<{ channel: { id: string }; signingSecret: string | null }>('CreatedAlertChannel')
  .implement({
    description: 'The new channel, with its signing secret once.',
    fields: (t) => ({
      channel: t.prismaField({
        type: 'AlertChannel',
        description: 'The channel.',
        resolve: (query, payload, _args, context) =>
          context.services.prisma.alertChannel.findUniqueOrThrow({ ...query, where: { id: payload.channel.id } }),
      }),
      signingSecret: t.exposeString('signingSecret', {
        nullable: true,
        description: 'WEBHOOK: the secret (whsec_…) to verify Switchboard-Signature with, shown only now.',
      }),
    }),
  });

const DeletedAlertRef = builder.objectRef<{ id: string }>('DeletedAlert').implement({
  description: 'What was deleted.',
  fields: (t) => ({ id: t.exposeID('id', { description: 'The deleted id.' }) }),
});

const AlertTestOutcomeRef = builder
  .objectRef<{ channelId: string; delivered: boolean; error?: string }>('AlertTestOutcome')
  .implement({
    description: 'How a test notification went.',
    fields: (t) => ({
      channelId: t.exposeID('channelId', { description: 'The channel tested.' }),
      delivered: t.exposeBoolean('delivered', { description: 'Whether the channel accepted it.' }),
      error: t.string({
        nullable: true,
        description: 'Why not, when it was not delivered.',
        resolve: (outcome) => outcome.error ?? null,
      }),
    }),
  });

function ruleInput(input: typeof AlertRuleInputType.$inferInput): AlertRuleInput {
  return {
    ...input,
    toolId: input.toolId === undefined || input.toolId === null ? null : String(input.toolId),
    channelIds: input.channelIds.map(String),
  };
}

builder.queryFields((t) => ({
  alertChannels: t.prismaField({
    type: ['AlertChannel'],
    authScopes: { role: 'ADMIN' },
    description: "The organization's alert channels.",
    resolve: (query, _root, _args, context) =>
      context.services.prisma.alertChannel.findMany({
        ...query,
        where: { organizationId: actorOf(context).organizationId },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        take: MAX_CHANNELS_PER_ORGANIZATION,
      }),
  }),
  alertRules: t.prismaField({
    type: ['AlertRule'],
    authScopes: { role: 'ADMIN' },
    description: "The organization's alert rules.",
    resolve: (query, _root, _args, context) =>
      context.services.prisma.alertRule.findMany({
        ...query,
        where: { organizationId: actorOf(context).organizationId },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        take: MAX_RULES_PER_ORGANIZATION,
      }),
  }),
  alertIncidents: t.prismaConnection({
    type: 'AlertIncident',
    cursor: 'id',
    authScopes: { role: 'ADMIN' },
    maxSize: 200,
    defaultSize: 50,
    description: 'Newest first.',
    resolve: (query, _root, _args, context) =>
      context.services.prisma.alertIncident.findMany({
        ...query,
        where: { organizationId: actorOf(context).organizationId },
        orderBy: [{ firedAt: 'desc' }, { id: 'desc' }],
      }),
  }),
}));

builder.mutationFields((t) => ({
  createAlertChannel: t.field({
    type: CreatedAlertChannelRef,
    authScopes: { role: 'ADMIN' },
    description: 'A WEBHOOK channel gets a signing secret, returned only here.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'CreateAlertChannelResult', description: 'The channel, or why it was not created.' },
    },
    args: { input: t.arg({ type: CreateAlertChannelInput, required: true }) },
    resolve: (_root, { input }, context) => createAlertChannel(context.services, actorOf(context), input),
  }),
  deleteAlertChannel: t.field({
    type: DeletedAlertRef,
    authScopes: { role: 'ADMIN' },
    description: 'Deletes a channel; rules that used only it keep no channel and stop notifying.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'DeleteAlertChannelResult', description: 'The deleted id, or why it was not deleted.' },
    },
    args: { input: t.arg({ type: IdInput, required: true }) },
    resolve: (_root, { input }, context) => deleteAlertChannel(context.services, actorOf(context), String(input.id)),
  }),
  createAlertRule: t.field({
    type: AlertRuleRef,
    authScopes: { role: 'ADMIN' },
    description: 'Creates an alert rule.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'CreateAlertRuleResult', description: 'The rule, or why it was not created.' },
    },
    args: { input: t.arg({ type: AlertRuleInputType, required: true }) },
    resolve: (_root, { input }, context) =>
      createAlertRule(context.services.prisma, actorOf(context), ruleInput(input)),
  }),
  updateAlertRule: t.field({
    type: AlertRuleRef,
    authScopes: { role: 'ADMIN' },
    description: 'Replaces an alert rule as a whole.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'UpdateAlertRuleResult', description: 'The rule, or why it was not changed.' },
    },
    args: { input: t.arg({ type: UpdateAlertRuleInput, required: true }) },
    resolve: (_root, { input }, context) =>
      updateAlertRule(context.services.prisma, actorOf(context), String(input.id), ruleInput(input.rule)),
  }),
  deleteAlertRule: t.field({
    type: DeletedAlertRef,
    authScopes: { role: 'ADMIN' },
    description: 'Deletes an alert rule and its incidents.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'DeleteAlertRuleResult', description: 'The deleted id, or why it was not deleted.' },
    },
    args: { input: t.arg({ type: IdInput, required: true }) },
    resolve: (_root, { input }, context) =>
      deleteAlertRule(context.services.prisma, actorOf(context), String(input.id)),
  }),
  sendTestAlert: t.field({
    type: AlertTestOutcomeRef,
    authScopes: { role: 'ADMIN' },
    description: 'Sends a test notification to the channel now and says whether it was delivered.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'SendTestAlertResult', description: "The test's outcome, or why it could not be sent." },
    },
    args: { input: t.arg({ type: SendTestAlertInput, required: true }) },
    resolve: (_root, { input }, context) =>
      context.services.alerting.sendTestAlert(actorOf(context), String(input.channelId)),
  }),
}));
