import { canTransition, isTerminal, sourcesOf } from './task-status.js';

describe('task state machine', () => {
  it("allows Glance's transitions only", () => {
    expect(canTransition('pending', 'processing')).toBe(true);
    expect(canTransition('pending', 'failure')).toBe(true);
    expect(canTransition('processing', 'success')).toBe(true);
    expect(canTransition('processing', 'failure')).toBe(true);
    expect(canTransition('pending', 'success')).toBe(false);
    expect(canTransition('success', 'failure')).toBe(false);
    expect(canTransition('failure', 'processing')).toBe(false);
    expect(canTransition('processing', 'pending')).toBe(false);
  });

  it('derives the compare-and-set guard of each target state', () => {
    expect(sourcesOf('processing')).toEqual(['pending']);
    expect(sourcesOf('success')).toEqual(['processing']);
    expect(sourcesOf('failure').sort()).toEqual(['pending', 'processing']);
    expect(sourcesOf('pending')).toEqual([]);
  });

  it('knows the terminal states', () => {
    expect(isTerminal('success')).toBe(true);
    expect(isTerminal('failure')).toBe(true);
    expect(isTerminal('pending')).toBe(false);
    expect(isTerminal('processing')).toBe(false);
  });
});
