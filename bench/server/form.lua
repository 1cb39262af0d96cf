-- wrk script: every request is the same POST with a form body.
-- Environment: BODY (the urlencoded form), AUTH (an Authorization header value, optional).
wrk.method = "POST"
wrk.body = os.getenv("BODY") or ""
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local auth = os.getenv("AUTH")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
