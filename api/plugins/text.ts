/**
 * Refuses text the pipeline would refuse (schemas/text.ts): a JSON body that is not valid UTF-8,
 * and any string or key holding a lone surrogate in a body, query or path parameter. Without
 * it fastify decodes bad bytes to U+FFFD and `"\ud800"` escapes pass validation, so the API
 * answered 202 for points the pipeline then dead-lettered.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ILL_FORMED_TEXT, findIllFormedText, isWellFormedPercentEncoding, isWellFormedUtf8 } from '../../schemas/text.ts';
import { badRequest } from '../http-error.ts';

async function textPlugin(app: FastifyInstance) {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body: Buffer, done) => {
    if (!isWellFormedUtf8(body)) {
      done(badRequest('invalid request: the body is not valid UTF-8', [{ path: 'body', message: 'is not valid UTF-8' }]), undefined);
      return;
    }
    parseJson(req, body.toString('utf8'), done);
  });

  app.addHook('preValidation', async (req) => {
    if (!isWellFormedPercentEncoding(req.url)) {
      throw badRequest('invalid request: the URL is not valid percent-encoded UTF-8', [{ path: 'url', message: 'is not valid percent-encoded UTF-8' }]);
    }
    for (const [part, value] of [
      ['params', req.params],
      ['querystring', req.query],
      ['body', req.body],
    ] as const) {
      const at = findIllFormedText(value);
      if (at !== null) {
        const path = `${part}${at === '(value)' ? '' : at}`;
        throw badRequest(`invalid request: ${path} ${ILL_FORMED_TEXT}`, [{ path, message: ILL_FORMED_TEXT }]);
      }
    }
  });
}

export default fp(textPlugin, { name: 'vigil-text', fastify: '5.x' });
