/**
 * The built-in template catalog shipped with Switchboard: working tools of all
 * three types that organizations clone and adapt. Endpoint templates send the
 * requests the services document (each cites its page); they need only the
 * secrets they declare. Lambda templates name example functions; code
 * templates run as they are.
 */
import type { CreateToolInput } from '../tools/tool-service.ts';

/** A secret a template needs, with what to put in it and where to find it. */
export interface TemplateSecret {
  name: string;
  description: string;
  helpUrl: string;
}

export interface ToolTemplate extends CreateToolInput {
  /** Stable id: `builtin:<slug>`; installed tools and the demo seed refer to it. */
  id: string;
  category: string;
  /** Every secret the configuration refers to (a test keeps the two in step). */
  secrets?: TemplateSecret[];
}

/** The tool a template creates: the template without its catalog fields. */
export function templateTool(template: ToolTemplate): CreateToolInput {
  const { id: _id, category: _category, secrets: _secrets, ...tool } = template;
  return tool;
}

const lines = (...code: string[]): string => code.join('\n');

/** Cal.com names an event type by its booking link, cal.com/<username>/<slug>: two strings, no id to look up. */
const CAL_COM_EVENT_TYPE: TemplateSecret[] = [
  {
    name: 'CAL_COM_USERNAME',
    description: 'Your Cal.com username: the first part of your booking link cal.com/<username>/<event>.',
    helpUrl: 'https://cal.com/docs/api-reference/v2/bookings/create-a-booking',
  },
  {
    name: 'CAL_COM_EVENT_TYPE_SLUG',
    description: 'The event type to book: the last part of its booking link, e.g. 30min.',
    helpUrl: 'https://cal.com/docs/api-reference/v2/bookings/create-a-booking',
  },
];

const AWS_SECRETS: TemplateSecret[] = [
  {
    name: 'AWS_ACCESS_KEY_ID',
    description: 'The access key id of an IAM user or role allowed lambda:InvokeFunction on the function.',
    helpUrl: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html',
  },
  {
    name: 'AWS_SECRET_ACCESS_KEY',
    description: 'The secret access key that belongs to AWS_ACCESS_KEY_ID.',
    helpUrl: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html',
  },
];

export const BUILTIN_TEMPLATES: ToolTemplate[] = [
  {
    id: 'builtin:order-status',
    category: 'Commerce',
    name: 'order_status',
    displayName: 'Order status lookup',
    description: "Looks up an order's shipping status in your own order API by order number.",
    type: 'ENDPOINT',
    // Your API's shape: GET <ORDERS_API_URL>/orders/<number> answering { found, status_text, order }.
    configuration: {
      url: '${secrets.ORDERS_API_URL}/orders/${parameters.order_number}',
      method: 'GET',
      headers: { Accept: 'application/json' },
      auth: { type: 'bearer', secret_name: 'ORDERS_API_TOKEN' },
      response_handling: { success_field: 'found', message_field: 'status_text', data_field: 'order' },
    },
    secrets: [
      {
        name: 'ORDERS_API_URL',
        description: 'The base URL of your order API, e.g. https://shop.yourcompany.com/api (no trailing slash).',
        helpUrl: 'https://developer.mozilla.org/en-US/docs/Web/HTTP/Guides/Overview',
      },
      {
        name: 'ORDERS_API_TOKEN',
        description: 'A token your order API accepts as "Authorization: Bearer <token>".',
        helpUrl: 'https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Authorization',
      },
    ],
    functionDefinition: {
      name: 'order_status',
      description: "Look up an order's shipping status. Ask the caller for their order number first.",
      parameters: {
        type: 'object',
        properties: {
          order_number: { type: 'string', description: 'The order number, e.g. A-1042', minLength: 1, maxLength: 64 },
        },
        required: ['order_number'],
        additionalProperties: false,
      },
    },
    messages: {
      requestStart: 'Let me look that order up.',
      requestDelayed: { message: 'Still checking, thanks for your patience.', afterMs: 3000 },
      requestFailed: "I couldn't reach the order system just now.",
    },
    allowedContexts: ['call', 'sms', 'webhook', 'test'],
    timeoutSeconds: 10,
    retryAttempts: 2,
  },
  {
    id: 'builtin:appointment-booking',
    category: 'Scheduling',
    name: 'book_appointment',
    displayName: 'Book on Cal.com',
    description: 'Books a Cal.com appointment for the caller on one of your event types.',
    type: 'ENDPOINT',
    // https://cal.com/docs/api-reference/v2/bookings/create-a-booking — `start` in UTC; the event type is named by
    // username + slug (the two parts of its booking link), so no numeric id has to be edited into the body.
    configuration: {
      url: 'https://api.cal.com/v2/bookings',
      method: 'POST',
      headers: { 'cal-api-version': '2026-02-25' },
      body_template: {
        start: '${parameters.start}',
        eventTypeSlug: '${secrets.CAL_COM_EVENT_TYPE_SLUG}',
        username: '${secrets.CAL_COM_USERNAME}',
        attendee: {
          name: '${parameters.name}',
          email: '${parameters.email}',
          phoneNumber: '${phone_number}',
          timeZone: '${parameters.time_zone}',
        },
        bookingFieldsResponses: { notes: '${parameters.notes}' },
      },
      auth: { type: 'bearer', secret_name: 'CAL_COM_API_KEY' },
      response_handling: { data_field: 'data' },
    },
    secrets: [
      {
        name: 'CAL_COM_API_KEY',
        description: 'A Cal.com API key (cal_live_…), from Settings → Developer → API keys.',
        helpUrl: 'https://cal.com/docs/api-reference/v2/introduction',
      },
      ...CAL_COM_EVENT_TYPE,
    ],
    functionDefinition: {
      name: 'book_appointment',
      description:
        'Book an appointment once the caller has confirmed their name, email and a free time (check availability first).',
      parameters: {
        type: 'object',
        properties: {
          name: { type: 'string', description: "The caller's full name", minLength: 1, maxLength: 200 },
          email: { type: 'string', description: 'Where the confirmation goes', format: 'email', maxLength: 254 },
          start: { type: 'string', description: 'Start time in UTC, ISO-8601, e.g. 2026-03-14T15:30:00Z' },
          time_zone: { type: 'string', description: "The caller's IANA time zone, e.g. America/New_York" },
          notes: { type: 'string', description: 'Why they are coming in', maxLength: 1000 },
        },
        required: ['name', 'email', 'start', 'time_zone'],
        additionalProperties: false,
      },
    },
    messages: { requestStart: "I'm booking that for you now.", requestComplete: "You're all set." },
    allowedContexts: ['call', 'sms', 'test'],
    timeoutSeconds: 15,
  },
  {
    id: 'builtin:cal-com-slots',
    category: 'Scheduling',
    name: 'cal_com_availability',
    displayName: 'Cal.com availability',
    description: 'Lists the free Cal.com slots of one of your event types on a day.',
    type: 'ENDPOINT',
    // https://cal.com/docs/api-reference/v2/slots/get-available-time-slots-for-an-event-type (no API key needed).
    configuration: {
      url: 'https://api.cal.com/v2/slots',
      method: 'GET',
      headers: { 'cal-api-version': '2024-09-04' },
      query_parameters: {
        eventTypeSlug: '${secrets.CAL_COM_EVENT_TYPE_SLUG}',
        username: '${secrets.CAL_COM_USERNAME}',
        start: '${parameters.date}',
        end: '${parameters.date}',
        timeZone: '${parameters.time_zone}',
      },
      response_handling: { data_field: 'data' },
    },
    secrets: CAL_COM_EVENT_TYPE,
    functionDefinition: {
      name: 'cal_com_availability',
      description: 'List the free appointment start times on a day, in the caller’s time zone.',
      parameters: {
        type: 'object',
        properties: {
          date: { type: 'string', description: 'YYYY-MM-DD', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
          time_zone: { type: 'string', description: "The caller's IANA time zone, e.g. America/New_York" },
        },
        required: ['date', 'time_zone'],
        additionalProperties: false,
      },
    },
    messages: { requestStart: 'Let me check the calendar.' },
    allowedContexts: ['call', 'sms', 'test'],
    timeoutSeconds: 10,
    retryAttempts: 1,
  },
  {
    id: 'builtin:business-hours',
    category: 'Front desk',
    name: 'business_hours',
    displayName: 'Business hours check',
    description:
      'Tells whether the business is open now (or at a given time) and when it opens next. Edit HOURS and UTC_OFFSET_HOURS.',
    type: 'CODE',
    configuration: {
      runtime: 'javascript',
      code: lines(
        '// Opening hours per weekday (0 = Sunday) in minutes after local midnight.',
        'const HOURS = { 1: [540, 1020], 2: [540, 1020], 3: [540, 1020], 4: [540, 1020], 5: [540, 1020], 6: [600, 840] };',
        'const UTC_OFFSET_HOURS = -5;',
        "const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];",
        '',
        "const clock = (minutes) => `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}`;",
        '',
        'export default async function execute(parameters) {',
        '  const at = parameters.at ? new Date(parameters.at) : new Date();',
        "  if (Number.isNaN(at.getTime())) return { success: false, message: 'I could not understand that time.', data: null };",
        '  const local = new Date(at.getTime() + UTC_OFFSET_HOURS * 3600000);',
        '  const day = local.getUTCDay();',
        '  const minutes = local.getUTCHours() * 60 + local.getUTCMinutes();',
        '  const today = HOURS[day];',
        '  if (today && minutes >= today[0] && minutes < today[1]) {',
        '    return { success: true, message: `We are open until ${clock(today[1])} today.`, data: { open: true, day: DAYS[day], closes: clock(today[1]) } };',
        '  }',
        '  for (let ahead = 0; ahead < 8; ahead++) {',
        '    const next = (day + ahead) % 7;',
        '    const hours = HOURS[next];',
        '    if (!hours || (ahead === 0 && minutes >= hours[0])) continue;',
        "    const when = ahead === 0 ? 'today' : ahead === 1 ? 'tomorrow' : `on ${DAYS[next]}`;",
        '    return { success: true, message: `We are closed right now. We open ${when} at ${clock(hours[0])}.`, data: { open: false, day: DAYS[day], opens: clock(hours[0]), opens_day: DAYS[next] } };',
        '  }',
        "  return { success: true, message: 'We are closed.', data: { open: false, day: DAYS[day] } };",
        '}',
      ),
      execution_timeout: 5,
      memory_limit_mb: 32,
    },
    functionDefinition: {
      name: 'business_hours',
      description: 'Check whether the business is open now or at a given time, and when it opens next.',
      parameters: {
        type: 'object',
        properties: { at: { type: 'string', description: 'ISO-8601 time to check; defaults to now' } },
        additionalProperties: false,
      },
    },
    timeoutSeconds: 5,
  },
  {
    id: 'builtin:quote-calculator',
    category: 'Sales',
    name: 'shipping_quote',
    displayName: 'Shipping quote calculator (Python)',
    description: 'Prices a shipment from weight, distance and service level. Edit BASE_FEE and RATES.',
    type: 'CODE',
    configuration: {
      runtime: 'python',
      code: lines(
        'BASE_FEE = 5.00',
        'PER_KG = 1.20',
        'PER_KM = 0.08',
        "RATES = {'standard': 1.0, 'express': 1.5, 'overnight': 2.25}",
        '',
        '',
        'def execute_tool(parameters, context):',
        "    weight = float(parameters.get('weight_kg', 0))",
        "    distance = float(parameters.get('distance_km', 0))",
        "    service = parameters.get('service', 'standard')",
        '    if weight <= 0 or distance <= 0:',
        "        return {'success': False, 'message': 'I need the weight and the distance to give a quote.', 'data': None}",
        '    if service not in RATES:',
        "        return {'success': False, 'message': 'We offer ' + ', '.join(RATES) + ' shipping.', 'data': None}",
        '    total = round((BASE_FEE + weight * PER_KG + distance * PER_KM) * RATES[service], 2)',
        "    return {'success': True, 'message': 'The ' + service + ' price is ' + format(total, '.2f') + ' dollars.',",
        "            'data': {'total': total, 'currency': 'USD', 'service': service}}",
      ),
      execution_timeout: 5,
    },
    functionDefinition: {
      name: 'shipping_quote',
      description: 'Quote a shipping price. Ask for the weight in kilograms and the distance in kilometres.',
      parameters: {
        type: 'object',
        properties: {
          weight_kg: { type: 'number', exclusiveMinimum: 0 },
          distance_km: { type: 'number', exclusiveMinimum: 0 },
          service: { type: 'string', enum: ['standard', 'express', 'overnight'] },
        },
        required: ['weight_kg', 'distance_km'],
        additionalProperties: false,
      },
    },
    timeoutSeconds: 10,
  },
  {
    id: 'builtin:crm-contact-lookup',
    category: 'CRM',
    name: 'crm_contact_lookup',
    displayName: 'HubSpot contact lookup',
    description: 'Finds the caller in HubSpot by phone number so the assistant can greet them by name.',
    type: 'ENDPOINT',
    // https://developers.hubspot.com/docs-beta/crm/search — filter groups are ORed: phone or mobile phone.
    configuration: {
      url: 'https://api.hubapi.com/crm/v3/objects/contacts/search',
      method: 'POST',
      body_template: {
        filterGroups: [
          { filters: [{ propertyName: 'phone', operator: 'EQ', value: '${parameters.phone}' }] },
          { filters: [{ propertyName: 'mobilephone', operator: 'EQ', value: '${parameters.phone}' }] },
        ],
        properties: ['firstname', 'lastname', 'email', 'phone', 'company'],
        limit: 1,
      },
      auth: { type: 'bearer', secret_name: 'HUBSPOT_ACCESS_TOKEN' },
      response_handling: { data_field: 'results' },
    },
    secrets: [
      {
        name: 'HUBSPOT_ACCESS_TOKEN',
        description: 'A HubSpot private app access token (pat-…) with the crm.objects.contacts.read scope.',
        helpUrl: 'https://developers.hubspot.com/docs/api/private-apps',
      },
    ],
    functionDefinition: {
      name: 'crm_contact_lookup',
      description: "Find a contact in the CRM by phone number (use the caller's number unless they give another).",
      parameters: {
        type: 'object',
        properties: {
          phone: {
            type: 'string',
            description: 'The number as stored in HubSpot, usually E.164, e.g. +15551234567',
            pattern: '^\\+?[0-9 ()-]{6,20}$',
          },
        },
        required: ['phone'],
        additionalProperties: false,
      },
    },
    messages: { requestStart: 'One moment while I pull up your account.' },
    timeoutSeconds: 8,
    retryAttempts: 1,
  },
  {
    id: 'builtin:appointment-availability',
    category: 'Scheduling',
    name: 'check_availability',
    displayName: 'Appointment availability',
    description: 'Lists free appointment slots on a date from opening hours and already-booked times.',
    type: 'CODE',
    configuration: {
      runtime: 'javascript',
      code: lines(
        'const OPEN = { 1: [540, 1020], 2: [540, 1020], 3: [540, 1020], 4: [540, 1020], 5: [540, 1020], 6: [600, 840] };',
        "const clock = (m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;",
        '',
        'export default async function execute(parameters) {',
        "  const date = String(parameters.date ?? '');",
        '  if (!/^\\d{4}-\\d{2}-\\d{2}$/.test(date)) {',
        "    return { success: false, message: 'Which day would you like? Please give a date like 2025-03-14.', data: null };",
        '  }',
        '  const duration = Number(parameters.duration_minutes ?? 30);',
        "  const hours = OPEN[new Date(date + 'T00:00:00Z').getUTCDay()];",
        "  if (!hours) return { success: true, message: 'We are closed that day.', data: { date, slots: [] } };",
        '  const booked = new Set(Array.isArray(parameters.booked) ? parameters.booked : []);',
        '  const slots = [];',
        '  for (let start = hours[0]; start + duration <= hours[1]; start += duration) {',
        '    if (!booked.has(clock(start))) slots.push(clock(start));',
        '  }',
        "  const message = slots.length ? `Open times: ${slots.slice(0, 5).join(', ')}${slots.length > 5 ? ' and later' : ''}.` : 'That day is fully booked.';",
        '  return { success: true, message, data: { date, slots } };',
        '}',
      ),
      execution_timeout: 5,
    },
    functionDefinition: {
      name: 'check_availability',
      description: 'List free appointment times on a date.',
      parameters: {
        type: 'object',
        properties: {
          date: { type: 'string', description: 'YYYY-MM-DD' },
          duration_minutes: { type: 'integer', minimum: 15, maximum: 240 },
          booked: { type: 'array', items: { type: 'string' }, description: 'Already booked start times, HH:MM' },
        },
        required: ['date'],
        additionalProperties: false,
      },
    },
    timeoutSeconds: 5,
  },
  {
    id: 'builtin:sms-send',
    category: 'Messaging',
    name: 'send_sms',
    displayName: 'Send SMS (Twilio)',
    description: "Texts the caller through Twilio's Messages API.",
    type: 'ENDPOINT',
    // https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource — form-encoded To/From/Body,
    // Basic auth AccountSid:AuthToken. The text always goes to the caller's own number, so a conversation cannot
    // talk the assistant into texting someone else.
    configuration: {
      url: 'https://api.twilio.com/2010-04-01/Accounts/${secrets.TWILIO_ACCOUNT_SID}/Messages.json',
      method: 'POST',
      body_format: 'form',
      body_template: { To: '${phone_number}', From: '${secrets.TWILIO_FROM_NUMBER}', Body: '${parameters.message}' },
      auth: { type: 'basic', username: '${secrets.TWILIO_ACCOUNT_SID}', password_secret: 'TWILIO_AUTH_TOKEN' },
    },
    secrets: [
      {
        name: 'TWILIO_ACCOUNT_SID',
        description: 'Your Twilio Account SID (AC…), on the Twilio Console home page.',
        helpUrl: 'https://www.twilio.com/docs/iam/api/account',
      },
      {
        name: 'TWILIO_AUTH_TOKEN',
        description: 'The Auth Token shown next to the Account SID in the Twilio Console.',
        helpUrl: 'https://www.twilio.com/docs/usage/requests-to-twilio',
      },
      {
        name: 'TWILIO_FROM_NUMBER',
        description: 'A Twilio phone number that can send SMS, in E.164 form, e.g. +15551234567.',
        helpUrl: 'https://www.twilio.com/docs/messaging/api/message-resource',
      },
    ],
    functionDefinition: {
      name: 'send_sms',
      description: "Send a text message to the caller's number. Confirm the content with the caller first.",
      parameters: {
        type: 'object',
        properties: { message: { type: 'string', minLength: 1, maxLength: 1600 } },
        required: ['message'],
        additionalProperties: false,
      },
    },
    messages: { requestStart: 'Sending that text now.', requestComplete: 'I just sent you a text.' },
    allowedContexts: ['call', 'test'],
    timeoutSeconds: 15,
  },
  {
    id: 'builtin:slack-notify',
    category: 'Messaging',
    name: 'notify_slack',
    displayName: 'Post to Slack',
    description: 'Posts a message to a Slack channel through an incoming webhook, e.g. a callback request.',
    type: 'ENDPOINT',
    // https://api.slack.com/messaging/webhooks — the webhook URL is the credential, so it is kept as a secret.
    configuration: {
      url: '${secrets.SLACK_WEBHOOK_URL}',
      method: 'POST',
      body_template: { text: '${parameters.message} (caller ${phone_number})' },
    },
    secrets: [
      {
        name: 'SLACK_WEBHOOK_URL',
        description: 'The incoming webhook URL (https://hooks.slack.com/services/…) of the channel to post to.',
        helpUrl: 'https://api.slack.com/messaging/webhooks',
      },
    ],
    functionDefinition: {
      name: 'notify_slack',
      description: 'Tell the team something in Slack, e.g. that the caller wants a callback and why.',
      parameters: {
        type: 'object',
        properties: { message: { type: 'string', minLength: 1, maxLength: 2000 } },
        required: ['message'],
        additionalProperties: false,
      },
    },
    messages: { requestComplete: "I've passed that on to the team." },
    timeoutSeconds: 10,
    retryAttempts: 1,
  },
  {
    id: 'builtin:catch-hook',
    category: 'Automation',
    name: 'send_to_automation',
    displayName: 'Zapier or Make catch hook',
    description: 'Sends the call details to a Zapier "Catch Hook" or a Make custom webhook to start your automation.',
    type: 'ENDPOINT',
    // https://zapier.com/apps/webhook/integrations (Webhooks by Zapier, Catch Hook) and
    // https://www.make.com/en/help/tools/webhooks — both take any JSON POSTed to a URL that is itself the credential.
    configuration: {
      url: '${secrets.CATCH_HOOK_URL}',
      method: 'POST',
      body_template: {
        event: '${parameters.event}',
        summary: '${parameters.summary}',
        caller: '${phone_number}',
        call_sid: '${call_sid}',
      },
    },
    secrets: [
      {
        name: 'CATCH_HOOK_URL',
        description:
          'The hook URL: https://hooks.zapier.com/hooks/catch/… from a Zapier Catch Hook trigger, or https://hook.<region>.make.com/… from Make.',
        helpUrl: 'https://zapier.com/apps/webhook/integrations',
      },
    ],
    functionDefinition: {
      name: 'send_to_automation',
      description: 'Hand the call over to the back office automation, e.g. a new lead or a quote request.',
      parameters: {
        type: 'object',
        properties: {
          event: { type: 'string', enum: ['lead', 'quote_request', 'callback', 'complaint'] },
          summary: { type: 'string', minLength: 1, maxLength: 2000 },
        },
        required: ['event', 'summary'],
        additionalProperties: false,
      },
    },
    timeoutSeconds: 10,
    retryAttempts: 1,
  },
  {
    id: 'builtin:lambda-invoke',
    category: 'Developer',
    name: 'lambda_lookup',
    displayName: 'AWS Lambda invoke example',
    description:
      'Invokes a Lambda function with the parameters and call context; the function returns { success, message, data }.',
    type: 'LAMBDA',
    configuration: {
      function_name: 'switchboard-example-lookup',
      region: 'us-east-1',
      invocation_type: 'RequestResponse',
      payload_template: { query: '${parameters.query}', call_sid: '${call_sid}', caller: '${phone_number}' },
      access_key_field: 'AWS_ACCESS_KEY_ID',
      secret_key_field: 'AWS_SECRET_ACCESS_KEY',
      response_handling: { success_field: 'success', message_field: 'message', data_field: 'data' },
    },
    secrets: AWS_SECRETS,
    functionDefinition: {
      name: 'lambda_lookup',
      description: 'Look something up in the back office (runs an AWS Lambda function).',
      parameters: {
        type: 'object',
        properties: { query: { type: 'string', maxLength: 500 } },
        required: ['query'],
        additionalProperties: false,
      },
    },
    timeoutSeconds: 20,
    retryAttempts: 1,
  },
  {
    id: 'builtin:support-ticket',
    category: 'Support',
    name: 'create_support_ticket',
    displayName: 'Create support ticket (Lambda)',
    description:
      "Files a support ticket with a summary of the caller's problem through a Lambda function; asks a person to approve first.",
    type: 'LAMBDA',
    configuration: {
      function_name: 'support-create-ticket',
      region: 'us-east-1',
      invocation_type: 'RequestResponse',
      payload_template: {
        summary: '${parameters.summary}',
        priority: '${parameters.priority}',
        caller: '${phone_number}',
        call_sid: '${call_sid}',
      },
      access_key_field: 'AWS_ACCESS_KEY_ID',
      secret_key_field: 'AWS_SECRET_ACCESS_KEY',
    },
    secrets: AWS_SECRETS,
    functionDefinition: {
      name: 'create_support_ticket',
      description: "File a support ticket with a one-sentence summary of the caller's problem.",
      parameters: {
        type: 'object',
        properties: {
          summary: { type: 'string', maxLength: 500 },
          priority: { type: 'string', enum: ['low', 'normal', 'urgent'] },
        },
        required: ['summary'],
        additionalProperties: false,
      },
    },
    messages: { requestComplete: "I've filed that for our support team." },
    requireConfirmation: true,
    allowedContexts: ['call', 'sms', 'test'],
  },
];

export function findBuiltinTemplate(id: string): ToolTemplate | undefined {
  return BUILTIN_TEMPLATES.find((template) => template.id === id);
}
