/**
 * Cloudflare Workers entry (scale-out): serve HTTP, consume the inbox Queue, run the periodic
 * jobs due at each cron minute. Everything else is the shared runtime (src/runtime/).
 */
import { ConfigError } from '../env.js';
import { dueAt } from '../runtime/jobs.js';
import {
  consumeInboxBatch,
  type InboxMessage,
  type WorkerBindings,
  workersRuntime,
} from '../runtime/workers-runtime.js';

export type { InboxMessage, WorkerBindings };

export default {
  async fetch(request, bindings, ctx) {
    let runtime: ReturnType<typeof workersRuntime>;
    try {
      runtime = workersRuntime(bindings);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      console.error(error.message);
      return Response.json(
        { error: 'misconfigured', message: 'modbot is not configured; see the logs' },
        { status: 500 },
      );
    }
    const response = await runtime.app.fetch(request, bindings, ctx);
    // Notices raised while answering (an API action) are stored after the answer.
    ctx.waitUntil(runtime.notifier.flush());
    return response;
  },

  async queue(batch, bindings, _ctx) {
    const runtime = workersRuntime(bindings);
    try {
      await consumeInboxBatch(runtime, batch);
    } finally {
      await runtime.notifier.flush();
    }
  },

  async scheduled(controller, bindings, _ctx) {
    const runtime = workersRuntime(bindings);
    const at = new Date(controller.scheduledTime);
    for (const job of runtime.jobs.filter((j) => dueAt(j, at))) {
      try {
        await job.run();
      } catch (error) {
        runtime.logger.error(`periodic job "${job.name}" failed; it runs again at its next time`, { error });
      }
      // Store what this job raised, so that the sending job (the last one) sees it.
      await runtime.notifier.flush();
    }
  },
} satisfies ExportedHandler<WorkerBindings, InboxMessage>;
