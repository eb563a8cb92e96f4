# concurrency.gp — wall time against the pool size or cap (-j) at a fixed number of tasks, for
# one workload (the "concurrency" rows of summary.csv), one line per model (and params), the
# ideal (ideal_s) dashed.
# usage: gnuplot -c plots/concurrency.gp SUMMARY.csv OUT.png [MACHINE-SUBTITLE] [WORKLOAD]
#        (WORKLOAD defaults to the end of OUT's name: concurrency-W.png -> W)
script_dir = "."
do for [i = 1:strlen(ARG0)] { if (ARG0[i:i] eq "/") { script_dir = ARG0[1:i - 1] } }
args = ARGC; arg1 = ARG1; arg2 = ARG2; arg3 = ARG3; arg4 = ARG4; arg5 = ARG5; arg6 = ARG6
load script_dir . "/models.gp"

rows_if = 'strcol("workload") eq workload && strcol("part") eq "concurrency"'
stats data using (@rows_if ? column("tasks") : 0) nooutput
if (STATS_max <= 0) {
    print sprintf("concurrency.gp: no 'concurrency' rows for workload '%s' in %s", workload, data)
    exit status 1
}
n_fixed = STATS_max
stats data using (@rows_if ? column("median_s") : 0) nooutput
t_max = STATS_max
stats data using (@rows_if ? column("concurrency") : 0) nooutput
j_max = STATS_max
stats data using (@rows_if && column("min_s") > 0 ? column("min_s") : 1e9) nooutput
t_min = STATS_min
kind_label = ""
stats data using (@rows_if ? (kind_label = strcol("kind_label"), 1) : 0) nooutput

scan_file = data
scan_if = rows_if
scan_key = 'strcol("model") . (strlen(strcol("params")) > 0 ? " " . strcol("params") : "")'
eval scan_models
split_if = rows_if
split_cols = '(column("concurrency")):(column("median_s")):(column("min_s")):(column("max_s")):(or_nan(column("ideal_s"))):(column("parallel"))'
eval split_rows
# The ideal line: the first line whose model runs the tasks in parallel (parallel > 1 somewhere).
first = have ne "" ? word(have, 1) + 0 : 1
found = 0
do for [s in have] {
    stats block(s + 0) using 6 nooutput
    if (!found && STATS_max > 1) { first = s + 0; found = 1 }
}

chart_title = sprintf("%s: wall time against concurrency, %d tasks (%s)", workload, n_fixed, kind_label)
eval heading
set xlabel "concurrency j: pool size (pools) or cap on tasks in flight (-j, the others); log scale"
set ylabel "wall time for the whole batch (log scale; lower is faster)"
set logscale x 2
set logscale y 10
eval log_time_tics
set xtics (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
set xrange [0.8:j_max * 1.25]
set yrange [t_min / 2:t_max * 3]
set grid xtics ytics lc rgb "#e4e4e4"
set key top right samplen 3 box lc rgb "#cccccc" noenhanced
set label 6 sprintf("Dashed: the ideal (ideal_s; t1 = %s's time per task). Flat: a model that runs these tasks one at a time, whatever j. Whiskers: fastest to slowest run.", ref_name) \
    at screen 0.5, screen 0.02 center noenhanced font ",10" tc rgb "#404040"
set bmargin 5
# Work that computes on a busy machine (the report passes busy_share for those charts only).
if (busy_share < 0.8) {
    set label 7 sprintf("The machine was busy: %s got %.0f %% of a core here; times are inflated and noisy.", ref_name, busy_share * 100) \
        at graph 0.5, graph 0.04 center noenhanced font ",10" tc rgb "#c00000"
}

do for [k = 1:2] {
    eval set_term(k)
    plot for [s in have] block(s + 0) using 1:2 smooth unique with lines lt (s + 0) title M_name[s + 0], \
         for [s in have] block(s + 0) using 1:2:3:4 with yerrorbars lt (s + 0) lw 1 pt 7 notitle, \
         block(first) using 1:5 smooth unique with lines lt 99 lw 2 title "ideal"
}
set output
