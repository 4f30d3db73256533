import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsString, Matches, Max, Min } from 'class-validator';

const LOG_LEVELS = ['error', 'warn', 'info', 'debug', 'verbose'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Variables every app reads. App schemas extend this class. */
export class CommonEnv {
  @Matches(/^rediss?:\/\/[^\s]+$/, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  /**
   * Seed nodes of a Redis Cluster (`host:port,host:port,...`); when set every connection is a cluster connection
   * (credentials and TLS still from REDIS_URL). Empty: the single server at REDIS_URL.
   */
  @Matches(/^$|^[^\s,:]+:\d{1,5}(,[^\s,:]+:\d{1,5})*$/, {
    message: 'must be empty or host:port[,host:port...]',
  })
  REDIS_CLUSTER_NODES = '';

  @Matches(/^[^\s,:]+:\d{1,5}(,[^\s,:]+:\d{1,5})*$/, { message: 'must be host:port[,host:port...]' })
  KAFKA_BROKERS = '127.0.0.1:9092';

  @Matches(/^[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)*$/, { message: 'must be a dotted Kafka topic prefix' })
  KAFKA_TOPIC_PREFIX = 'huleedu';

  /** Interface the HTTP server binds to (0.0.0.0 in containers). */
  @IsString()
  HTTP_HOST = '127.0.0.1';

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';

  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(60000)
  HEALTH_CHECK_TIMEOUT_MS = 2000;

  @Type(() => Number)
  @IsInt()
  @Min(1000)
  @Max(120000)
  SHUTDOWN_TIMEOUT_MS = 10000;

  @IsString()
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  NODE_ENV = 'development';
}
