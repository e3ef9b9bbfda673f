import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { resendProformaRequest } from '../../proformas/resend.service.ts';
import type { Principal } from '../context.ts';
import { idParam } from '../params.ts';

/** POST /sittings/:id/proformas/:proformaId/resend (the coordinator's "Send again"). */
export function registerResendPage(
  app: FastifyInstance,
  roles: readonly Principal['role'][],
  refuse: (
    request: FastifyRequest,
    reply: FastifyReply,
    sittingId: number,
    error: unknown,
    href: string,
  ) => unknown,
): void {
  app.post(
    '/sittings/:id/proformas/:proformaId/resend',
    { config: { access: roles } },
    async (request, reply) => {
      const sittingId = idParam(request.params);
      const proformaId = idParam(request.params, 'proformaId');
      try {
        const sent = await resendProformaRequest(app.deps.db, sittingId, proformaId, {
          now: app.deps.now(),
          actor: request.principal as Principal,
          config: app.deps.config,
        });
        return reply.redirect(
          `/sittings/${sittingId}/allocations?done=resent&ref=${encodeURIComponent(sent.reference)}#proformas`,
          303,
        );
      } catch (error) {
        return refuse(request, reply, sittingId, error, `#resend-${proformaId}`);
      }
    },
  );
}
