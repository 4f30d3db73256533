import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

export const DOCS_PATH = 'docs';

/** OpenAPI generated from the DTOs and controller decorators: UI at /docs, JSON at /docs-json (both open). */
export function setupApiDocs(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('LLM batch comparison service')
    .setDescription(
      'Comparative-judgement comparisons through provider batch APIs. Authenticate with `Authorization: Bearer <key>`. ' +
        'Errors are `{error: {code, message, field?, retryable, correlation_id, details?}}`.',
    )
    .setVersion('1')
    .addBearerAuth()
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup(DOCS_PATH, app, document);
  return document;
}
