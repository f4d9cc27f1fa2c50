-- POST /validate with a valid JSON body; used by benchmarks/run.py for the route mix.
wrk.method = "POST"
wrk.body = '{"name":"Ada","age":42}'
wrk.headers["Content-Type"] = "application/json"
