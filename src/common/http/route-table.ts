/**
 * The application's routes as Express registered them, so a request whose path is known but
 * whose method is not can get Glance's 405 with an Allow header instead of a 404.
 */

interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean> };
  match(path: string): unknown;
}

let layers: RouteLayer[] = [];

export function captureRoutes(stack: RouteLayer[]): void {
  // Nest's not-found handler is a catch-all route for every method; it must not count.
  layers = stack.filter(
    (layer) => layer.route && !layer.route.methods._all && !String(layer.route.path).includes('*'),
  );
}

const ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

export function allowedMethods(path: string): string[] {
  const methods = new Set<string>();
  for (const layer of layers) {
    if (!layer.match(path)) continue;
    for (const [method, on] of Object.entries(layer.route!.methods)) {
      // Express answers HEAD through GET routes; Glance does not offer HEAD, so neither does Allow.
      if (on && method !== '_all' && method !== 'head') methods.add(method.toUpperCase());
    }
  }
  return [...methods].sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
}
