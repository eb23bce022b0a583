// format.test.mjs — how the web app words dates (display only: every date
// word a person types is parsed by the hub).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dayWords, lateWords, daysFrom } from '../../web/js/format.js';
import { localDate } from '../../web/js/rpc.js';

const today = '2026-11-18'; /* a Wednesday */

test('days are counted across months and years', () => {
  assert.equal(daysFrom('2026-12-01', today), 13);
  assert.equal(daysFrom('2027-01-01', '2026-12-31'), 1);
  assert.equal(daysFrom('2024-03-01', '2024-02-28'), 2); /* leap year */
  assert.equal(daysFrom('nonsense', today), null);
});

test('near days read as words, later ones as dates', () => {
  assert.equal(dayWords('2026-11-18', today), 'today');
  assert.equal(dayWords('2026-11-19', today), 'tomorrow');
  assert.equal(dayWords('2026-11-17', today), 'yesterday');
  assert.equal(dayWords('2026-11-20', today), 'Fri');
  assert.equal(dayWords('2026-11-25', today), 'Wed 25 Nov');
  assert.equal(dayWords('2027-02-03', today), '3 Feb 2027');
});

test('late-on says how late, or until when', () => {
  assert.deepEqual(lateWords('2026-11-16', today), { text: 'late 2 days', late: true });
  assert.deepEqual(lateWords('2026-11-17', today), { text: 'late since yesterday', late: true });
  assert.equal(lateWords('2026-11-18', today).late, false);
  assert.equal(lateWords('2026-11-19', today).text, 'late after tomorrow');
  assert.equal(lateWords('2026-11-19', today).soon, true);
  assert.equal(lateWords('2026-12-24', today).soon, false);
});

test('the local date is YYYY-MM-DD in local time', () => {
  assert.equal(localDate(new Date(2026, 0, 5, 23, 59)), '2026-01-05');
  assert.match(localDate(), /^\d{4}-\d{2}-\d{2}$/);
});
