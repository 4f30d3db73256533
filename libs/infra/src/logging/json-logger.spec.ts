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

  it('carries the caller (tenant and key id) set for the context on every later line', () => {
    const { logger, lines } = capture();
    CorrelationContext.run('corr-7', () => {
      logger.log('before');
      CorrelationContext.setCaller({ tenant_id: 'acme', key_id: 'k_0123456789ab' });
      logger.log('after');
    });
    logger.log('outside');
    expect(lines[0].tenant_id).toBeUndefined();
    expect(lines[1]).toMatchObject({ tenant_id: 'acme', key_id: 'k_0123456789ab', correlation_id: 'corr-7' });
    expect(lines[2].tenant_id).toBeUndefined();
  });
});
