import { validationProblemDetails, validationProblemResponse } from '../../src/http/problem';

const options = {
  type: 'urn:license-shift:problem:invalid-migration-request',
  title: 'The migration request is not valid',
  consequence: 'Nothing was started.',
};

describe('validation problems (RFC 9457)', () => {
  it('builds a body listing every problem with its field', () => {
    const problems = [
      { field: 'moves[0].to', message: 'is required (a string)' },
      { field: 'batchSize', message: 'must be at most 20' },
    ];
    expect(validationProblemDetails(problems, { ...options, instance: '/api/migrations' })).toEqual({
      type: 'urn:license-shift:problem:invalid-migration-request',
      title: 'The migration request is not valid',
      status: 400,
      detail: '2 problems: moves[0].to is required (a string); batchSize must be at most 20. Nothing was started.',
      instance: '/api/migrations',
      errors: problems,
    });
    expect(validationProblemDetails(problems, options)).not.toHaveProperty('instance');
  });

  it('keeps the detail short when there are many problems', () => {
    const problems = Array.from({ length: 10 }, (_, index) => ({ field: `f${index}`, message: 'is wrong' }));
    expect(validationProblemDetails(problems, options).detail).toMatch(/\(and 7 more\)/);
  });

  it('answers 400 as application/problem+json', () => {
    const response = validationProblemResponse([{ field: 'body', message: 'is empty' }], options);
    expect(response.status).toBe(400);
    expect(response.headers).toEqual({ 'Content-Type': 'application/problem+json' });
    expect(JSON.parse(response.body as string)).toMatchObject({
      detail: 'One problem: body is empty. Nothing was started.',
    });
  });
});
