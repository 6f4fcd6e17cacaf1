# Writes a synthetic run directory for bench_report.sh: history.jsonl with OPS client
# ops (cas-register ops on rotating keys, CONC workers, 1% ending info, 1% fail, the
# last op of each worker never completed), a fault window every 50,000 ops (partition
# started and stopped, or a kill closed by a heal), and a results.json whose
# linearizable checker names a 12-op failing window near the middle, plus test.json.
# usage: awk -v OPS=1000000 -v CONC=10 -v DIR=RUN_DIR -f bench_report_gen.awk
BEGIN {
    if (OPS == "") OPS = 1000000
    if (CONC == "") CONC = 10
    hist = DIR "/history.jsonl"
    srand(7)
    index_ = 0; t = 0; faults = 0
    for (w = 0; w < CONC; w++) { proc[w] = w; open[w] = 0 }
    split("read write cas", fs, " ")
    for (i = 0; i < OPS; i++) {
        w = i % CONC
        t += 50000 + int(rand() * 100000)
        if (open[w]) complete(w)
        if (i % 50000 == 25000) nemesis()
        invoke(w, i)
        if (i >= OPS / 2 && nwin < 12) win[nwin++] = inv_index[w]
    }
    close(hist)
    write_results()
    write_test()
}

function invoke(w, i,    f, key, v) {
    f = fs[1 + int(rand() * 3)]
    key = int(i / 2000)
    if (f == "read") v = "null"
    else if (f == "write") v = int(rand() * 5)
    else v = "[" int(rand() * 5) "," int(rand() * 5) "]"
    op_f[w] = f; op_key[w] = key; op_v[w] = v
    inv_index[w] = index_
    printf "{\"index\":%d,\"time\":%.0f,\"process\":%d,\"type\":\"invoke\",\"f\":\"%s\",\"key\":%d,\"value\":%s}\n", index_++, t, proc[w], f, key, v > hist
    open[w] = 1
}

function complete(w,    r, type, v) {
    r = rand()
    type = r < 0.01 ? "info" : (r < 0.02 ? "fail" : "ok")
    v = op_f[w] == "read" ? int(rand() * 5) : op_v[w]
    printf "{\"index\":%d,\"time\":%.0f,\"process\":%d,\"type\":\"%s\",\"f\":\"%s\",\"key\":%d,\"value\":%s,\"node\":\"n%d\"}\n", index_++, t - 10000, proc[w], type, op_f[w], op_key[w], v, 1 + int(rand() * 5) > hist
    if (type == "info") proc[w] += CONC
    open[w] = 0
}

function nemesis() {
    if (faults % 4 == 0)
        printf "{\"index\":%d,\"time\":%.0f,\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"partition-start\",\"value\":{\"kind\":\"partition\",\"variant\":\"majorities-ring\",\"grudge\":{\"n1\":[\"n3\",\"n4\"],\"n2\":[\"n4\",\"n5\"]}}}\n", index_++, t > hist
    else if (faults % 4 == 1)
        printf "{\"index\":%d,\"time\":%.0f,\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"partition-stop\",\"value\":{\"kind\":\"partition\"}}\n", index_++, t > hist
    else if (faults % 4 == 2)
        printf "{\"index\":%d,\"time\":%.0f,\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"kill-start\",\"value\":{\"kind\":\"kill\",\"variant\":\"minority\",\"nodes\":[\"n2\",\"n5\"]}}\n", index_++, t > hist
    else
        printf "{\"index\":%d,\"time\":%.0f,\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"heal\",\"value\":{}}\n", index_++, t > hist
    faults++
}

function write_results(    out, i, list) {
    out = DIR "/results.json"
    list = ""
    for (i = 0; i < nwin; i++) list = list (i ? "," : "") win[i]
    printf "{\"valid\":false,\"checkers\":{\"linearizable\":{\"valid\":false,\"model\":\"cas-register\",\"ops\":%d,\"key_count\":2,\"valid_keys\":1,\"invalid_keys\":[\"250\"],\"unknown_keys\":[],\"keys\":{", OPS > out
    printf "\"250\":{\"valid\":false,\"ops\":2000,\"failing_op\":{\"index\":%d,\"process\":0,\"f\":\"read\",\"value\":null,\"type\":\"ok\",\"output\":3,\"complete_index\":%d},", win[nwin - 1], win[nwin - 1] + 10 > out
    printf "\"concurrent_ops\":[],\"states_before_failing_op\":[1,2],\"linearized_prefix\":[%s],\"linearized_prefix_length\":%d,", list, nwin > out
    printf "\"window\":{\"cut_index\":%d,\"ops\":[%s],\"minimized\":true,\"searches\":3},\"explanation\":\"synthetic anomaly for the benchmark\"}," , win[nwin - 1] + 10, list > out
    printf "\"1\":{\"valid\":true,\"ops\":2000}}},\"stats\":{\"valid\":true,\"ok\":%d}}}\n", OPS > out
    close(out)
}

function write_test(    out) {
    out = DIR "/test.json"
    printf "{\"config\":{\"target\":\"bench\",\"workload\":\"register\",\"nemesis\":\"partition,kill\",\"concurrency\":%d,\"seed\":\"1\",\"time-limit\":%.0f},\"nodes\":[],\"faultline\":\"0.1\"}\n", CONC, int(t / 1e9) > out
    close(out)
}
