import { askingForRequestIds, attachRequestIds, detachRequestIds } from '../common/heroku-request-ids';

// Request-Ids ride back in change activities' results. In a fleet being upgraded, a workflow and the activity it
// calls may be of different versions: each must get a result it understands.

const formation = [{ type: 'worker', quantity: 0, size: 'Standard-1X' }];
const ids = ['5b1f7c2e-2f4a-4c38-9d0e-6a1b2c3d4e5f'];

test('a list result is wrapped only when the request asks: an older workflow, which does not, gets its list', () => {
  expect(attachRequestIds(formation, ids, { app: 'a', updates: [] })).toEqual(formation);
  const asked = askingForRequestIds({ app: 'a', updates: [] });
  expect(detachRequestIds(attachRequestIds(formation, ids, asked))).toEqual({ value: formation, requestIds: ids });
});

test('an older activity, which knows nothing of the ask, gives a list the newer workflow takes as it is', () => {
  expect(detachRequestIds(formation)).toEqual({ value: formation, requestIds: null });
});

test('an object result carries them as a field, which an older workflow ignores', () => {
  const result = attachRequestIds({ release: { version: 7 } }, ids, {});
  expect(result).toEqual({ release: { version: 7 }, herokuRequestIds: ids });
  expect(detachRequestIds(result)).toEqual({ value: result, requestIds: ids });
  expect(detachRequestIds(null)).toEqual({ value: null, requestIds: null });
});
