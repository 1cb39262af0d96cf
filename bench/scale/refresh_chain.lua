-- wrk script: refresh_token grants as clients make them: a queue starts with the tokens in
-- TOKENS_FILE (one a line); every request takes the next one, and every successful answer
-- puts its new refresh token at the back, so no token is presented twice and the run can
-- outlast the file. At the end the tokens not yet presented are written to LEFT_FILE (for
-- the next run; tokens in flight when wrk stopped are lost). AUTH: the client's Basic
-- header. MAX_REQUESTS (optional): stop after that many. Run with -t1.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = os.getenv("AUTH")
queue, head, tail = {}, 1, 0
for line in io.lines(os.getenv("TOKENS_FILE")) do
  tail = tail + 1
  queue[tail] = line
end
local max = tonumber(os.getenv("MAX_REQUESTS") or "0")
local sent = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function request()
  sent = sent + 1
  local token = "exhausted"
  if head <= tail then
    token = queue[head]
    queue[head] = nil
    head = head + 1
  end
  return wrk.format(nil, nil, nil, "grant_type=refresh_token&refresh_token=" .. token)
end

function response(status, headers, body)
  if status == 200 then
    local token = body:match('"refresh_token"%s*:%s*"([^"]+)"')
    if token then
      tail = tail + 1
      queue[tail] = token
    end
  end
  if (max > 0 and sent >= max) or head > tail then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local out = io.open(os.getenv("LEFT_FILE"), "w")
  for _, thread in ipairs(threads) do
    local q, h, t = thread:get("queue"), thread:get("head"), thread:get("tail")
    for i = h, t do out:write(q[i], "\n") end
  end
  out:close()
end
