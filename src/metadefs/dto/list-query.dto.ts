/** Query parameters of the metadef list calls, as the client sent them (strings). */
export type ListQuery = Record<string, string | string[] | undefined>;

export interface NamespaceListResult {
  namespaces: Array<Record<string, unknown>>;
  next?: string;
  schema: string;
  first: string;
}
