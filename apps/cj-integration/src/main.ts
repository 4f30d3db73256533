import 'reflect-metadata';
import { kafkaTransportOptions, loadConfigOrExit, parseBrokers, startHttpApp } from '#infra';
import { CjEnv } from './config/cj-env.js';

const env = loadConfigOrExit(CjEnv, 'cj-integration');
// Imported after validation: the Kafka handlers take their topic names from the environment when loaded.
const { CjModule } = await import('./cj.module.js');
await startHttpApp(CjModule.forRoot(env), {
  service: 'cj-integration',
  port: env.CJ_PORT,
  host: env.HTTP_HOST,
  logLevel: env.LOG_LEVEL,
  shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
  configure: async (app) => {
    app.connectMicroservice(
      kafkaTransportOptions({
        brokers: parseBrokers(env.KAFKA_BROKERS),
        clientId: 'cj-integration',
        groupId: env.CJ_KAFKA_GROUP_ID,
      }),
      { inheritAppConfig: true },
    );
    await app.startAllMicroservices();
  },
});
