import { readFileSync } from 'node:fs';
import { CORE_SCHEMA, load, mergeTag } from 'js-yaml';

// No Docker engine runs here (`docker compose` is unavailable), so the deployment files are checked statically.
const root = new URL('../../', import.meta.url);
const compose = load(readFileSync(new URL('docker/compose.yaml', root), 'utf8'), {
  schema: CORE_SCHEMA.withTags(mergeTag),
}) as {
  services: Record<
    string,
    {
      build?: { target: string; dockerfile: string };
      command?: unknown;
      image?: string;
      environment?: Record<string, unknown>;
    }
  >;
};
const dockerfile = readFileSync(new URL('docker/Dockerfile', root), 'utf8');
const stages = [...dockerfile.matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gim)].map((m) => m[1]);

describe('docker deployment files', () => {
  it.each(['api', 'batch-worker', 'cj-integration'])(
    'builds %s from a Dockerfile stage that starts its dist entry',
    (app) => {
      const service = compose.services[app];
      expect(service.build?.target).toBe(app);
      expect(stages).toContain(app);
      const stage = dockerfile.slice(
        dockerfile.search(new RegExp(`^FROM\\s+\\S+\\s+AS\\s+${app}\\s*$`, 'm')),
      );
      expect(stage).toMatch(new RegExp(`CMD \\["node", "dist/apps/${app}/main.js"\\]`));
    },
  );

  it('runs Redis with AOF on and noeviction, and Kafka in KRaft mode without topic auto-creation', () => {
    expect(compose.services.redis.command).toEqual(
      expect.arrayContaining(['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']),
    );
    const kafka = compose.services.kafka.environment ?? {};
    expect(kafka.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(kafka.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
  });

  it('points every app at the compose Redis and Kafka', () => {
    for (const app of ['api', 'batch-worker', 'cj-integration']) {
      expect(compose.services[app].environment).toMatchObject({
        REDIS_URL: 'redis://redis:6379',
        KAFKA_BROKERS: 'kafka:9092',
      });
    }
  });
});
