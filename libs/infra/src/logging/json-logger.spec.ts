import { CorrelationContext, JsonLogger } from '#infra';

function capture(level: 'info' | 'warn' = 'info') {
  const lines: Record<string, unknown>[] = [];
  const logger = new JsonLogger('svc', level, (line) => lines.push(JSON.parse(line)));
  return { logger, lines };
}

describe('JsonLogger', () => {
  it('writes one JSON object per call with service, level, context and the correlation id', () => {
    const { logger, lines } = capture();
    CorrelationContext.run('corr-42', () => logger.log('batch accepted', { batch_id: 'b1' }, 'BatchService'));
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'info',
        service: 'svc',
        msg: 'batch accepted',
        batch_id: 'b1',
        context: 'BatchService',
        correlation_id: 'corr-42',
      }),
    ]);
  });

  it('drops lines below the configured level and serialises errors', () => {
    const { logger, lines } = capture('warn');
    logger.log('hidden');
    logger.debug('hidden too');
    logger.error(new Error('boom'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'error',
      msg: 'boom',
      error: { name: 'Error', message: 'boom' },
    });
  });
});
