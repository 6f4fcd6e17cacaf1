# Availability outside faults: of the client ops invoked and completed while no fault was
# in force (outside every <kind>-start … <kind>-stop window), how many the system
# answered — ok, or a cas that failed because the value differed (cas-mismatch: the
# system worked, the op's precondition did not hold). Input: a history, slurped (-s).
# Prints "answered total".
. as $h
| [ $h[] | select(.process == "nemesis") | {f, time} ] as $ev
| [ range(0; $ev | length) as $i | select($ev[$i].f | endswith("-start"))
    | ($ev[$i].f | rtrimstr("-start")) as $k
    | [$ev[$i].time, ([ $ev[$i + 1:][] | select(.f == ($k + "-stop") or .f == "heal") ][0].time // 1e30)] ] as $w
| [ $h[] | select(.process | type == "number") ] as $ops
| [ $ops | group_by(.process)[] | . as $p | range(0; length - 1; 2)
    | {a: $p[.].time, b: $p[. + 1].time, type: $p[. + 1].type, error: $p[. + 1].error}
    | select(. as $o | all($w[]; $o.b < .[0] or $o.a > .[1])) ] as $calm
| "\([ $calm[] | select(.type == "ok" or .error == "cas-mismatch") ] | length) \($calm | length)"
