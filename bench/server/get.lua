-- wrk script: a GET with an optional Authorization header (AUTH).
wrk.method = "GET"
local auth = os.getenv("AUTH")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
