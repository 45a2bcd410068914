import type { CreateToolInput } from '../tools/tool-service.ts';

/** A few example tools, one per type, that show the configuration shapes. */
export const DEMO_TOOLS: CreateToolInput[] = [
  {
    name: 'check_order_status',
    displayName: 'Order status lookup',
    description: "Looks up an order's shipping status by order number.",
    type: 'ENDPOINT',
    configuration: {
      url: 'https://api.example.com/orders/${parameters.order_number}',
      method: 'GET',
      headers: { Accept: 'application/json' },
      auth: { type: 'bearer', secret_name: 'ORDERS_API_TOKEN' },
      response_handling: { success_field: 'found', message_field: 'status_text', data_field: 'order' },
    },
    functionDefinition: {
      name: 'check_order_status',
      description: "Look up an order's shipping status. Ask the caller for their order number first.",
      parameters: {
        type: 'object',
        properties: { order_number: { type: 'string', description: 'The order number, e.g. A-1042' } },
        required: ['order_number'],
      },
    },
    allowedContexts: ['call', 'sms', 'test'],
    timeoutSeconds: 10,
    retryAttempts: 2,
  },
  {
    name: 'business_hours',
    displayName: 'Business hours check',
    description: 'Tells whether the office is open at a given time.',
    type: 'CODE',
    configuration: {
      runtime: 'javascript',
      code: [
        'export default async function execute(parameters, context) {',
        '  const now = parameters.at ? new Date(parameters.at) : new Date();',
        '  const day = now.getUTCDay();',
        '  const hour = now.getUTCHours();',
        '  const open = day >= 1 && day <= 5 && hour >= 9 && hour < 17;',
        "  return { success: true, message: open ? 'We are open.' : 'We are closed.', data: { open } };",
        '}',
      ].join('\n'),
      execution_timeout: 5,
      memory_limit_mb: 32,
    },
    functionDefinition: {
      name: 'business_hours',
      description: 'Check whether the office is open now or at a given time.',
      parameters: {
        type: 'object',
        properties: { at: { type: 'string', description: 'ISO-8601 time; defaults to now' } },
      },
    },
    timeoutSeconds: 5,
  },
  {
    name: 'create_support_ticket',
    displayName: 'Create support ticket',
    description: 'Files a ticket through an AWS Lambda function.',
    type: 'LAMBDA',
    configuration: {
      function_name: 'support-create-ticket',
      region: 'us-east-1',
      invocation_type: 'RequestResponse',
      payload_template: { summary: '${parameters.summary}', caller: '${phone_number}', call_sid: '${call_sid}' },
      access_key_field: 'AWS_ACCESS_KEY_ID',
      secret_key_field: 'AWS_SECRET_ACCESS_KEY',
    },
    functionDefinition: {
      name: 'create_support_ticket',
      description: "File a support ticket with a one-sentence summary of the caller's problem.",
      parameters: {
        type: 'object',
        properties: { summary: { type: 'string', maxLength: 500 } },
        required: ['summary'],
      },
    },
    requireConfirmation: true,
  },
];
