// A client-rendered dashboard talking to the same-origin /graphql with the session cookie.
export const ssr = false;
export const prerender = false;
