// Who is signed in: the email, name, token and role (teacher, student or admin), kept in this
// browser only. localStorage, so the projector and kiosk windows the teacher opens are signed in too.

const KEY = "rollcall.teacher";

export function current() {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) || "null");
    return saved && saved.token && saved.email ? { role: "teacher", ...saved } : null;
  } catch {
    return null;
  }
}

// From a sign-in's answer: the school's time zone too, so "today" is the school's day.
export function remember(answer, role = "teacher") {
  const { email_id: email, name, token, school_timezone: timezone } = answer;
  localStorage.setItem(KEY, JSON.stringify({ email, name, token, role, timezone }));
}

// The role last signed in with on this device, offered first on the sign-in page.
export const LAST_ROLE_KEY = "rollcall.role";
// The role chosen on the sign-in page, carried to the sign-up form for this tab only.
export const SIGNUP_ROLE_KEY = "rollcall.signup-role";

// Each role's first page.
export const HOME = { teacher: "today", admin: "admin", student: "mine" };

// The login answer's user_type as the console names roles.
export const ROLE_OF_TYPE = { 0: "student", 1: "teacher", 2: "admin" };

export function forget() {
  localStorage.removeItem(KEY);
}
