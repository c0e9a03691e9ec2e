// Who is signed in: the teacher's email, name and token, kept in this browser only.
// localStorage, so the projector and kiosk windows the teacher opens are signed in too.

const KEY = "rollcall.teacher";

export function current() {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) || "null");
    return saved && saved.token && saved.email ? saved : null;
  } catch {
    return null;
  }
}

export function remember(email, name, token) {
  localStorage.setItem(KEY, JSON.stringify({ email, name, token }));
}

export function forget() {
  localStorage.removeItem(KEY);
}
