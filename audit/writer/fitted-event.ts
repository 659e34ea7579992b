/** An event larger than this keeps its fields but loses its detail. */
export const MAX_EVENT_BYTES = 64 * 1024;

/** An event's JSON within MAX_EVENT_BYTES: a larger one keeps its fields, its detail says how large it was. */
export function fitted(json: string): string {
  if (json.length <= MAX_EVENT_BYTES) return json;
  const event = JSON.parse(json) as Record<string, unknown>;
  event.detail = { truncated: true, bytes: json.length };
  return JSON.stringify(event);
}
