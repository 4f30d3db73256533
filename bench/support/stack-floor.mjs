// The floor of the individual path's stack on the machine of the run (`npm run bench -- individual`): what the
// parts this project must use cost before any of its own work. One POST route forwards a comparison to the
// OpenAI-compatible stub through the official OpenAI SDK (the project's own client: createOpenAIClient, with its
// node:http fetch) after three Redis round trips (the path's admission, create and finish). No auth, validation,
// stored state, metrics or logging. `nest` serves it from a minimal NestJS app on the Express adapter (as apps/api
// does); `node` from a bare node:http server (no framework at all).
// argv: stub port, own port, mode ('nest' | 'node'), Redis URL. Plain JavaScript: the bench starts it with node,
// after compileApps has built dist/.
import 'reflect-metadata';
import http from 'node:http';
import { Controller, Get, HttpCode, Module, Post, Req } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { createOpenAIClient } from '../../dist/libs/llm-providers/src/openai/openai.client.js';

const [stubPort, ownPort, mode, redisUrl] = process.argv.slice(2);
const ROUND_TRIPS = 3;
const redis = new Redis(redisUrl);
const client = createOpenAIClient({
  apiKey: 'sk-bench-local-stub',
  baseUrl: `http://127.0.0.1:${stubPort}/v1`,
  timeoutMs: 30_000,
});

async function forward(body) {
  for (let i = 0; i < ROUND_TRIPS; i += 1) await redis.ping();
  return client.chat.completions.create({
    model: 'gpt-5-mini',
    messages: [
      { role: 'system', content: body.user_prompt },
      { role: 'user', content: `Essay A:\n${body.essay_a}\n\nEssay B:\n${body.essay_b}` },
    ],
  });
}

if (mode === 'node') {
  http
    .createServer((req, res) => {
      const chunks = [];
      req.on('data', (chunk) => chunks.push(chunk));
      req.on('end', () => {
        if (req.url === '/health') return void res.end('{}');
        forward(JSON.parse(Buffer.concat(chunks).toString()))
          .then((completion) => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify(completion));
          })
          .catch(() => res.writeHead(502).end());
      });
    })
    .listen(Number(ownPort), '127.0.0.1');
} else {
  // Decorators applied by hand: this file is run as it is, without a compiler.
  class FloorController {
    forward(req) {
      return forward(req.body);
    }
    health() {
      return {};
    }
  }
  const method = (name) => Object.getOwnPropertyDescriptor(FloorController.prototype, name);
  Req()(FloorController.prototype, 'forward', 0);
  HttpCode(200)(FloorController.prototype, 'forward', method('forward'));
  Post('v1/chat/completions')(FloorController.prototype, 'forward', method('forward'));
  Get('health')(FloorController.prototype, 'health', method('health'));
  Controller()(FloorController);
  class FloorModule {}
  Module({ controllers: [FloorController] })(FloorModule);
  const app = await NestFactory.create(FloorModule, { logger: false });
  await app.listen(Number(ownPort), '127.0.0.1');
}
