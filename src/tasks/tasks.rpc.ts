import type { Type } from '@nestjs/common';
import { MESH_PATTERNS } from '../client/contract.js';
import { ImagesService } from '../images/images.service.js';
import { field, queryString, rpc } from '../mesh/rpc-table.js';
import type { RpcTable } from '../mesh/rpc-table.js';
import { TasksApi } from './tasks.port.js';
import { ImageTasksSource, imageTasksBody } from './image-tasks.source.js';

/**
 * The task patterns. `task.get` and `task.list` sit behind tasks_api_access as the /v2/tasks
 * routes do (admin by default); `image.task.list` needs only a visible image, so an owner can
 * follow the import it started.
 */
/** The port is an abstract class: a token to look up, never constructed here. */
const TASKS_API = TasksApi as unknown as Type<TasksApi>;

export const TASKS_RPC: RpcTable = {
  // Through the port, as the /v2/tasks routes: GLINT_ROLE=api serves them by calling the registry.
  [MESH_PATTERNS.getTask]: rpc(TASKS_API, (s, ctx, m) => s.get(ctx, field(m, 'id')), {
    policy: 'tasks_api_access',
  }),
  [MESH_PATTERNS.listTasks]: rpc(
    TASKS_API,
    (s, ctx, m) => s.list(ctx, [...new URLSearchParams(queryString(m))]),
    { policy: 'tasks_api_access' },
  ),
  // Through the port, as GET /v2/images/{id}/tasks: GLINT_ROLE=api serves it too.
  [MESH_PATTERNS.listImageTasks]: rpc(ImagesService, async (images, ctx, m, _config, get) => {
    const image = await images.getVisible(ctx, field(m, 'id'), '');
    // The port is an abstract class: a token to look up, never constructed here.
    const source = get(ImageTasksSource as unknown as Type<ImageTasksSource>);
    return imageTasksBody(source, ctx, image.id);
  }),
};
