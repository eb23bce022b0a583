// format.js — how dates read on a small screen. Only display: every date
// word the person types is parsed by the hub.

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function parts(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || '');
  return m ? { y: +m[1], m: +m[2], d: +m[3] } : null;
}

function utc(p) {
  return Date.UTC(p.y, p.m - 1, p.d);
}

// Whole days from today to iso (negative: in the past).
export function daysFrom(iso, today) {
  const a = parts(iso);
  const b = parts(today);
  if (!a || !b) return null;
  return Math.round((utc(a) - utc(b)) / 86400000);
}

// "today", "tomorrow", "Fri", "Fri 5 Dec", "5 Dec 2027".
export function dayWords(iso, today) {
  const p = parts(iso);
  if (!p) return iso || '';
  const n = daysFrom(iso, today);
  if (n === 0) return 'today';
  if (n === 1) return 'tomorrow';
  if (n === -1) return 'yesterday';
  const wd = DAYS[new Date(utc(p)).getUTCDay()];
  if (n > 1 && n < 7) return wd;
  const t = parts(today);
  if (t && t.y === p.y) return `${wd} ${p.d} ${MONTHS[p.m - 1]}`;
  return `${p.d} ${MONTHS[p.m - 1]} ${p.y}`;
}

// The late-on as a person reads it: "late since 3 days" is the only alarm.
export function lateWords(iso, today) {
  const n = daysFrom(iso, today);
  if (n === null) return { text: `late on ${iso}`, late: false };
  if (n < 0) return { text: n === -1 ? 'late since yesterday' : `late ${-n} days`, late: true };
  if (n === 0) return { text: 'late after today', late: false, soon: true };
  return { text: `late after ${dayWords(iso, today)}`, late: false, soon: n <= 2 };
}

export function ago(ms) {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}
