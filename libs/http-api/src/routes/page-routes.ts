import type { FastifyReply, FastifyRequest } from 'fastify';
import { loadWebPage, pageSecurityHeaders, type PageFile } from '@ifreg/web-page';
import type { HttpApp } from '../app';
import { sendError } from '../errors';

type FileRequest = FastifyRequest<{ Params: { file: string } }>;

/** The live web page: GET / (index.html) and its files under /ui/, from @ifreg/web-page. */
export function registerPageRoutes(app: HttpApp, files: ReadonlyMap<string, PageFile> = loadWebPage()): void {
  const send = (request: FastifyRequest, reply: FastifyReply, file: PageFile): FastifyReply => {
    void reply.headers({ ...pageSecurityHeaders, 'cache-control': 'no-cache', etag: file.etag });
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
    return reply.type(file.contentType).send(file.body);
  };
  app.get('/', { schema: { hide: true } }, (request, reply) => {
    const index = files.get('index.html');
    return index ? send(request, reply, index) : sendError(reply, 404, 'NotFound', 'the web page is not installed');
  });
  app.get('/ui/:file', { schema: { hide: true } }, (request: FileRequest, reply) => {
    const file = request.params.file === 'index.html' ? undefined : files.get(request.params.file);
    return file ? send(request, reply, file) : sendError(reply, 404, 'NotFound', `no file ${request.params.file} in the web page`);
  });
}
