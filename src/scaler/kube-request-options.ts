import { Observable, type ConfigurationOptions, type ObservableMiddleware, type RequestContext, type ResponseContext } from '@kubernetes/client-node';

/**
 * Options for one Kubernetes API call: abort it after `timeoutMs` (the client has no timeout of its
 * own, so a hung API server would stall leader election), and optionally set the content type — the
 * client sends PATCH bodies as JSON Patch unless told otherwise.
 */
export function requestOptions(timeoutMs: number, contentType?: string): ConfigurationOptions<ObservableMiddleware> {
  const middleware: ObservableMiddleware = {
    pre(context: RequestContext): Observable<RequestContext> {
      context.setSignal(AbortSignal.timeout(Math.max(1, Math.floor(timeoutMs))));
      if (contentType !== undefined) context.setHeaderParam('Content-Type', contentType);
      return new Observable(Promise.resolve(context));
    },
    post(context: ResponseContext): Observable<ResponseContext> {
      return new Observable(Promise.resolve(context));
    },
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' };
}
