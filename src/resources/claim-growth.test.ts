import { describe, expect, it } from 'vitest';
import { claimGrowth, resizeProgress, type ClaimSizeView } from './claim-growth.js';

const view = (patch: Partial<ClaimSizeView>): ClaimSizeView => ({ request: '20Gi', capacity: '10Gi', conditions: [], resizeStatus: undefined, ...patch });

describe('resizeProgress', () => {
  it.each<[string, Partial<ClaimSizeView>, string]>([
    ['capacity equals the request', { capacity: '20Gi' }, 'steady'],
    ['capacity above the request (the driver rounded up)', { request: '10Gi', capacity: '100Gi' }, 'steady'],
    ['the same size in other units', { request: '1Ti', capacity: '1024Gi' }, 'steady'],
    ['not bound yet: no capacity', { capacity: undefined }, 'steady'],
    ['raised, not picked up yet', {}, 'Resizing'],
    ['the resizer at work', { conditions: [{ type: 'Resizing', status: 'True' }], resizeStatus: 'ControllerResizeInProgress' }, 'Resizing'],
    ['the volume grown, the file system not yet', { conditions: [{ type: 'FileSystemResizePending', status: 'True' }] }, 'FileSystemResizePending'],
    ['node expansion pending, by allocatedResourceStatuses', { resizeStatus: 'NodeResizePending' }, 'FileSystemResizePending'],
    ['the driver refused', { conditions: [{ type: 'ControllerResizeError', status: 'True', message: 'share size exceeds 1Ti' }] }, 'ResizeFailed'],
    ['infeasible, by allocatedResourceStatuses', { resizeStatus: 'ControllerResizeInfeasible' }, 'ResizeFailed'],
    ['the node failed', { conditions: [{ type: 'NodeResizeError', status: 'True', message: 'resize2fs failed' }] }, 'ResizeFailed'],
    ['refused, then lowered: the resizer has not taken the new request up yet',
      { request: '15Gi', allocated: '20Gi', resizeStatus: 'ControllerResizeInfeasible', conditions: [{ type: 'ControllerResizeError', status: 'True' }] }, 'Resizing'],
    ['refused, and the spec backed out to the capacity (the request cannot follow)',
      { wanted: '10Gi', resizeStatus: 'ControllerResizeInfeasible', conditions: [{ type: 'ControllerResizeError', status: 'True' }] }, 'steady'],
    ['refused, and the spec still asks for it', { wanted: '20Gi', allocated: '20Gi', resizeStatus: 'ControllerResizeInfeasible' }, 'ResizeFailed'],
  ])('%s → %s', (_name, patch, state) => {
    expect(resizeProgress('data-marvin-mongodb-0', view(patch)).state).toBe(state);
  });

  it('names the claim, both sizes and the cause in its message', () => {
    const progress = resizeProgress('data-marvin-mongodb-0', view({ conditions: [{ type: 'ControllerResizeError', status: 'True', message: 'share size exceeds 1Ti' }] }));
    expect(progress).toEqual({ state: 'ResizeFailed', message: 'claim data-marvin-mongodb-0: capacity 10Gi, requested 20Gi; the resize failed: share size exceeds 1Ti' });
  });
});

describe('claimGrowth', () => {
  it.each<[string, string | undefined, string | undefined, string, boolean, string]>([
    ['no claim yet: the template makes it', undefined, undefined, '20Gi', true, 'none'],
    ['the same size', '10Gi', '10Gi', '10Gi', true, 'none'],
    ['the same size in other units', '1Ti', '1Ti', '1024Gi', true, 'none'],
    ['larger: grow', '10Gi', '10Gi', '20Gi', true, 'grow'],
    ['a tier default that grew: grow', '10Gi', '10Gi', '20Gi', false, 'grow'],
    ['explicitly smaller: refuse', '20Gi', '20Gi', '10Gi', true, 'refuse'],
    ['explicitly smaller across units (1000Gi < 1Ti): refuse', '1Ti', '1Ti', '1000Gi', true, 'refuse'],
    ['a smaller tier default (a tier change): keep the claim', '20Gi', '20Gi', '10Gi', false, 'none'],
    ['an expansion backed out above the capacity: lower the request', '2Ti', '1Ti', '1536Gi', true, 'lower'],
    ['an expansion backed out to the capacity: the request stays (the API server allows no lower)', '2Ti', '1Ti', '1024Gi', true, 'none'],
    ['an expansion backed out below the capacity: refuse', '2Ti', '1Ti', '900Gi', true, 'refuse'],
    ['no capacity yet (not bound): smaller is refused', '20Gi', undefined, '10Gi', true, 'refuse'],
  ])('%s', (_name, current, capacity, wanted, explicit, action) => {
    expect(claimGrowth(current, capacity, wanted, explicit).action).toBe(action);
  });
});
