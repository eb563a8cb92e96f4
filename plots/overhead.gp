# overhead.gp — what it costs a model to hand out one task: per-task time of tasks that do nothing
# (the "overhead" rows of summary.csv), one bar per model and params (a pool's dispatch style, the
# no-op a model runs: count 0, or a zero-length sleep that passes through an event loop) in model
# order, log scale; under each bar its model, workload and params.
# usage: gnuplot -c plots/overhead.gp SUMMARY.csv OUT.png [MACHINE-SUBTITLE]
script_dir = "."
do for [i = 1:strlen(ARG0)] { if (ARG0[i:i] eq "/") { script_dir = ARG0[1:i - 1] } }
args = ARGC; arg1 = ARG1; arg2 = ARG2; arg3 = ARG3; arg4 = ARG4; arg5 = ARG5; arg6 = ARG6
load script_dir . "/models.gp"

is_ov = 'strcol("part") eq "overhead"'
stats data using (@is_ov ? column("tasks") : 0) nooutput
if (STATS_max <= 0) {
    print sprintf("overhead.gp: no 'overhead' rows in %s", data)
    exit status 1
}
scan_file = data
scan_if = is_ov
scan_key = 'strcol("model") . (strlen(strcol("params")) > 0 ? " " . strcol("params") : "")'
eval scan_models
# What each bar's no-op tasks were: its workload and params, one a line under the bar.
array B_lab[nmodels]
do for [i = 1:nmodels] { B_lab[i] = "" }
lines_of(s) = strstrt(s, ";") > 0 ? s[1:strstrt(s, ";") - 1] . "\n" . lines_of(s[strstrt(s, ";") + 1:]) : s
b_row(i) = (strlen(B_lab[i]) == 0 ? B_lab[i] = strcol("workload") . (strlen(strcol("params")) > 0 ? "\n" . lines_of(strcol("params")) : "") : 0, 1)
# Each model's bar comes from its largest batch of no-op tasks (the sweep may give the expensive
# models fewer tasks).
array n_of[nmodels]
do for [i = 1:nmodels] { n_of[i] = 0 }
mi(x) = m_find(@scan_key, 1)
stats data using (@is_ov && mi(0) > 0 ? b_row(mi(0)) : 0) nooutput
n_row(i) = (n_of[i] = column("tasks") > n_of[i] ? column("tasks") : n_of[i], 1)
stats data using (@is_ov && mi(0) > 0 ? n_row(mi(0)) : 0) nooutput
ov = '@is_ov && mi(0) > 0 && column("tasks") == n_of[mi(0)]'
stats data using (@ov ? column("min_s") * 1e6 / column("tasks") : 1e12) nooutput
us_lo = STATS_min
stats data using (@ov ? column("max_s") * 1e6 / column("tasks") : 0) nooutput
us_hi = STATS_max
stats data using (@ov ? column("tasks") : 1e12) nooutput
n_lo = int(STATS_min)
stats data using (@ov ? column("tasks") : 0) nooutput
n_hi = int(STATS_max)
mine(i) = @ov && mi(0) == i
per_task(x) = column("median_s") * 1e6 / column("tasks")
n_text = n_lo == n_hi ? sprintf("%d", n_hi) : sprintf("%d to %d", n_lo, n_hi)

chart_title = sprintf("Dispatch cost: time per task for batches of %s tasks that do nothing", n_text)
eval heading
set label 6 "Batch wall time / tasks: starting, running and collecting one empty task. In a bar: tasks, most in flight (j); under it: model, workload, params. Whiskers: fastest to slowest." \
    at screen 0.5, screen 0.02 center font ",10" tc rgb "#404040"
set ylabel "time per task (µs, log scale; lower is cheaper)"
unset xlabel
set logscale y 10
set yrange [us_lo / 4:us_hi * 6]
set ytics ("0.01" 0.01, "0.02" 0.02, "0.05" 0.05, "0.1" 0.1, "0.2" 0.2, "0.5" 0.5, "1" 1, "2" 2, "5" 5, "10" 10, "20" 20, "50" 50, "100" 100, "200" 200, "500" 500, "1000" 1000, "2000" 2000, "5000" 5000, "10000" 10000)
set xrange [0.4:nmodels + 0.6]
set xtics () scale 0 noenhanced font ",9"
do for [i = 1:nmodels] { set xtics add (M_model[i] . "\n" . B_lab[i] i) }
set grid noxtics ytics
set style fill solid 0.9 border lc rgb "#303030"
set key top left samplen 1.5 noenhanced
set bmargin 8
bw = 0.6

do for [k = 1:2] {
    eval set_term(k)
    plot for [i = 1:nmodels] data using (i):(mine(i) ? per_task(0) : NaN):(i - bw / 2):(i + bw / 2):(us_lo / 40):(per_task(0)) \
             with boxxyerror lt i notitle, \
         for [i = 1:nmodels] data using (i):(mine(i) ? per_task(0) : NaN):(column("min_s") * 1e6 / column("tasks")):(column("max_s") * 1e6 / column("tasks")) \
             with yerrorbars lc rgb "#202020" lw 1.2 dt solid pt 0 notitle, \
         for [i = 1:nmodels] data using (i):(mine(i) ? column("max_s") * 1e6 / column("tasks") * 1.35 : NaN):(per_task(0) < 10 ? sprintf("%.2f µs", per_task(0)) : sprintf("%.0f µs", per_task(0))) \
             with labels font ",10" tc rgb "#202020" notitle, \
         for [i = 1:nmodels] data using (i):(mine(i) ? us_lo / 2.4 : NaN):(sprintf("N = %d\nj = %d", column("tasks"), column("concurrency"))) \
             with labels font ",9" tc rgb "#ffffff" notitle
}
set output
