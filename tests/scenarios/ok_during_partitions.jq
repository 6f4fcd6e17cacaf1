# How many client ops completed ok while a partition was in force (between each
# partition-start and the next partition-stop or heal). Input: a history, slurped (-s).
. as $h
| [ $h[] | select(.process == "nemesis" and (.f == "partition-start" or .f == "partition-stop" or .f == "heal"))
         | {f, time} ] as $ev
| [ range(0; $ev | length) as $i | select($ev[$i].f == "partition-start")
    | [$ev[$i].time, ($ev[$i + 1].time // 1e30)] ] as $windows
| [ $h[] | select(.type == "ok" and (.process | type) == "number") | .time as $t
         | select(any($windows[]; $t > .[0] and $t < .[1])) ] | length
