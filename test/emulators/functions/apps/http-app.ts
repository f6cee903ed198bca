/** Test-only function app exercising HTTP trigger conversion in the local runtime. */
import { app, HttpResponse, type HttpRequest, type InvocationContext } from '@azure/functions';

app.http('echo', {
  route: 'echo/{id?}',
  methods: ['GET', 'POST', 'PUT'],
  handler: async (request: HttpRequest) => {
    const contentType = request.headers.get('content-type') ?? '';
    const text = await request.text();
    return {
      jsonBody: {
        method: request.method,
        id: request.params.id ?? null,
        query: Object.fromEntries(request.query),
        tags: request.query.getAll('tag'),
        contentType,
        body: contentType.includes('json') && text ? (JSON.parse(text) as unknown) : text,
        custom: request.headers.get('x-custom'),
      },
    };
  },
});

app.http('itemById', {
  route: 'items/{itemId:int}',
  methods: ['GET'],
  handler: (request: HttpRequest) => ({ jsonBody: { itemId: Number(request.params.itemId) } }),
});

app.http('itemsSearch', {
  route: 'items/search',
  methods: ['GET'],
  handler: () => ({ body: 'literal route wins' }),
});

app.http('secure', {
  route: 'secure',
  authLevel: 'function',
  handler: () => ({ body: 'secret' }),
});

app.http('binary', {
  methods: ['GET'],
  handler: () => ({ body: Buffer.from([0, 1, 2, 255]), headers: { 'content-type': 'application/octet-stream' } }),
});

app.http('created', {
  methods: ['POST'],
  handler: () => new HttpResponse({ status: 201, jsonBody: { ok: true }, headers: { 'x-custom': 'yes' } }),
});

app.http('explodes', {
  methods: ['GET'],
  handler: () => {
    throw new Error('handler exploded');
  },
});

app.http('chatty', {
  methods: ['GET'],
  handler: (_request: HttpRequest, context: InvocationContext) => {
    context.log('hello from log');
    context.warn('careful');
    context.error('bad thing');
    return { status: 204 };
  },
});

// Invocation hooks: the pre hook swaps the handler and leaves a note that the post hook reads.
app.hook.preInvocation((context) => {
  if (context.invocationContext.functionName !== 'hooked') return;
  const original = context.functionHandler;
  context.hookData.note = 'set by preInvocation';
  context.functionHandler = async (...args: unknown[]) => {
    const response = (await (original as (...inner: unknown[]) => unknown)(...args)) as { body: string };
    return { body: response.body.toUpperCase() };
  };
});
app.hook.postInvocation((context) => {
  if (context.invocationContext.functionName !== 'hooked') return;
  context.result = { jsonBody: { result: context.result, note: context.hookData.note } };
});
app.http('hooked', { methods: ['GET'], handler: () => ({ body: 'from handler' }) });
