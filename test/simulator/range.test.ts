import { ApiError } from '../../simulator/errors';
import { paginate, parseRange } from '../../simulator/range';

const FIELDS = ['version', 'id'];

describe('parseRange', () => {
  it.each([
    [undefined, { field: 'version', order: 'asc', max: 200 }],
    ['null', { field: 'version', order: 'asc', max: 200 }],
    ['version ..; order=desc,max=1', { field: 'version', order: 'desc', max: 1 }],
    ['version ..; max=15, order=desc', { field: 'version', order: 'desc', max: 15 }],
    ['id ..; max=1000', { field: 'id', order: 'asc', max: 1000 }],
    ['id ..; max=10;', { field: 'id', order: 'asc', max: 10 }],
    ['version ..; max=5000', { field: 'version', order: 'asc', max: 1000 }],
    [']5..; max=2', { field: 'version', start: { value: '5', exclusive: true }, order: 'asc', max: 2 }],
    [
      'version 3..9[; order=desc',
      {
        field: 'version',
        start: { value: '3', exclusive: false },
        end: { value: '9', exclusive: true },
        order: 'desc',
        max: 200,
      },
    ],
  ])('parses %j', (header, expected) => {
    expect(parseRange(header, FIELDS)).toEqual(expected);
  });

  it.each(['name ..; max=2', 'version ..; max=0', 'version ..; order=sideways', 'bytes=0-100'])(
    'rejects %j with 416',
    (header) => {
      expect(() => parseRange(header, FIELDS)).toThrow(ApiError);
      try {
        parseRange(header, FIELDS);
      } catch (error) {
        expect((error as ApiError).status).toBe(416);
      }
    },
  );
});

describe('paginate', () => {
  const items = Array.from({ length: 12 }, (_, i) => ({ version: i + 1 }));
  const version = (item: { version: number }) => item.version;

  it('compares versions numerically', () => {
    const page = paginate(items, parseRange('version ]9..; max=5', FIELDS), version);
    expect(page.items.map(version)).toEqual([10, 11, 12]);
    expect(page.nextRange).toBeUndefined();
  });

  it('walks descending pages through the exclusive start', () => {
    const first = paginate(items, parseRange('version ..; order=desc,max=5', FIELDS), version);
    expect(first.items.map(version)).toEqual([12, 11, 10, 9, 8]);
    expect(first.nextRange).toBe('version ]8..; order=desc,max=5');
    const second = paginate(items, parseRange(first.nextRange, FIELDS), version);
    expect(second.items.map(version)).toEqual([7, 6, 5, 4, 3]);
  });

  it('honours inclusive and exclusive ends and keeps them in Next-Range', () => {
    const page = paginate(items, parseRange('version 2..6[; max=2', FIELDS), version);
    expect(page.items.map(version)).toEqual([2, 3]);
    expect(page.nextRange).toBe('version ]3..6[; max=2');
    expect(paginate(items, parseRange(page.nextRange, FIELDS), version).items.map(version)).toEqual([4, 5]);
    expect(paginate(items, parseRange('version 11..12', FIELDS), version).items.map(version)).toEqual([11, 12]);
  });

  it('rejects a non-numeric bound for a numeric field', () => {
    expect(() => paginate(items, parseRange('version abc..', FIELDS), version)).toThrow(ApiError);
  });
});
