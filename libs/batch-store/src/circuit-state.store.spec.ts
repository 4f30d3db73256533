import { describe, expect, it } from '@jest/globals';
import { worstCircuitState } from './circuit-state.store.js';

describe('worstCircuitState', () => {
  it('is closed when nobody reports a problem (or nothing is known)', () => {
    expect(worstCircuitState()).toBe('closed');
    expect(worstCircuitState('closed', undefined)).toBe('closed');
  });

  it('takes the worst opinion: open over half_open over closed, in any order', () => {
    expect(worstCircuitState('closed', 'half_open')).toBe('half_open');
    expect(worstCircuitState('open', 'half_open')).toBe('open');
    expect(worstCircuitState(undefined, 'open', 'closed')).toBe('open');
  });
});
