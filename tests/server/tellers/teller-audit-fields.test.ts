import { describe, expect, it } from 'vitest';
import { formatLine, matchesFilter } from '../../../audit/cli/event-format.js';
import { normalizeAuditEvent } from '../../../audit/events/audit-event.js';

// protocol/README.md §5.2: a teller session's events name the teller (actor) and the customer served.
describe('the customer field of audit events', () => {
  const ts = '2026-12-01T10:00:00.000Z';

  it('is kept as given, null included, and left out of events that never had it', () => {
    expect(normalizeAuditEvent({ kind: 'request', actor: 'tina', customer: 'alice' }, 1, ts)).toMatchObject({
      actor: 'tina',
      customer: 'alice',
    });
    const idle = normalizeAuditEvent({ kind: 'request', actor: 'tina', customer: null }, 2, ts);
    expect(idle.customer).toBeNull();
    expect('customer' in normalizeAuditEvent({ kind: 'request', actor: 'alice' }, 3, ts)).toBe(false);
  });

  it("finds a customer's counter events by their name and shows both names", () => {
    const event = normalizeAuditEvent({ kind: 'request', actor: 'tina', customer: 'alice', op: 'withdraw' }, 4, ts);
    expect(matchesFilter(event, { user: 'alice' })).toBe(true);
    expect(matchesFilter(event, { user: 'tina' })).toBe(true);
    expect(matchesFilter(event, { user: 'bob' })).toBe(false);
    expect(formatLine(event)).toContain('actor=tina');
    expect(formatLine(event)).toContain('customer=alice');
  });
});
