# overhead.gp — what it costs a model to hand out one task: per-task time of no-op count tasks
# (--count 0; the "overhead" rows of summary.csv), one bar per model, log scale.
# usage: gnuplot -c plots/overhead.gp SUMMARY.csv OUT.png [MACHINE-SUBTITLE]
script_dir = "."
do for [i = 1:strlen(ARG0)] { if (ARG0[i:i] eq "/") { script_dir = ARG0[1:i - 1] } }
args = ARGC; arg1 = ARG1; arg2 = ARG2; arg3 = ARG3; arg4 = ARG4
load script_dir . "/models.gp"

# Columns: 3 model, 4 part, 5 tasks, 6 concurrency, 9 min_s, 10 median_s, 11 max_s, 22 per_task_us.
stats data using (strcol(4) eq "overhead" ? $5 : 0) nooutput
if (STATS_max <= 0) {
    print sprintf("overhead.gp: no 'overhead' rows in %s", data)
    exit status 1
}
# Each model's bar comes from its largest batch of no-op tasks (the sweep may give the expensive
# models fewer tasks).
array n_of[nmodels]
do for [i = 1:nmodels] {
    stats data using (strcol(4) eq "overhead" && model_index(strcol(3)) == i ? $5 : 0) nooutput
    n_of[i] = STATS_max
}
ov = 'strcol(4) eq "overhead" && model_index(strcol(3)) > 0 && $5 == n_of[model_index(strcol(3))]'
stats data using (@ov ? $9 * 1e6 / $5 : 1e12):(@ov ? $11 * 1e6 / $5 : 0) nooutput
us_lo = STATS_min_x; us_hi = STATS_max_y
stats data using (@ov ? $5 : 1e12):(@ov ? $5 : 0) nooutput
n_lo = int(STATS_min_x); n_hi = int(STATS_max_y)
mine(i) = @ov && model_index(strcol(3)) == i
per_task(x) = $10 * 1e6 / $5
n_text = n_lo == n_hi ? sprintf("%d", n_hi) : sprintf("%d to %d", n_lo, n_hi)

chart_title = sprintf("Dispatch cost: time per task for batches of %s tasks that do nothing (count 0)", n_text)
eval heading
set label 6 "Batch wall time / number of tasks: starting, running and collecting one empty task. Under each bar: tasks in the batch, most in flight (j). Whiskers: fastest to slowest run." \
    at screen 0.5, screen 0.02 center font ",10" tc rgb "#404040"
set ylabel "time per task (µs, log scale; lower is cheaper)"
set xlabel "model"
set logscale y 10
set yrange [us_lo / 4:us_hi * 6]
set ytics ("0.01" 0.01, "0.02" 0.02, "0.05" 0.05, "0.1" 0.1, "0.2" 0.2, "0.5" 0.5, "1" 1, "2" 2, "5" 5, "10" 10, "20" 20, "50" 50, "100" 100, "200" 200, "500" 500, "1000" 1000, "2000" 2000, "5000" 5000, "10000" 10000)
set xrange [0.4:nmodels + 0.6]
set xtics () scale 0
do for [i = 1:nmodels] { set xtics add (model_name(i) i) }
set grid noxtics ytics
set style fill solid 0.9 border lc rgb "#303030"
set key top left samplen 1.5
set bmargin 5
bw = 0.6

do for [k = 1:2] {
    eval set_term(k)
    plot for [i = 1:nmodels] data using (i):(mine(i) ? per_task(0) : NaN):(i - bw / 2):(i + bw / 2):(us_lo / 40):(per_task(0)) \
             with boxxyerror lt i title model_name(i), \
         for [i = 1:nmodels] data using (i):(mine(i) ? per_task(0) : NaN):($9 * 1e6 / $5):($11 * 1e6 / $5) \
             with yerrorbars lc rgb "#202020" lw 1.2 dt solid pt 0 notitle, \
         for [i = 1:nmodels] data using (i):(mine(i) ? $11 * 1e6 / $5 * 1.35 : NaN):(per_task(0) < 10 ? sprintf("%.2f µs", per_task(0)) : sprintf("%.0f µs", per_task(0))) \
             with labels font ",10" tc rgb "#202020" notitle, \
         for [i = 1:nmodels] data using (i):(mine(i) ? us_lo / 2.4 : NaN):(sprintf("N = %d\nj = %d", $5, $6)) \
             with labels font ",9" tc rgb "#ffffff" notitle
}
set output
