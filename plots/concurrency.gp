# concurrency.gp — wall time against the pool size or cap (-j) at a fixed number of tasks, for
# one workload (the "concurrency" rows of summary.csv), one line per model, the ideal dashed.
# usage: gnuplot -c plots/concurrency.gp SUMMARY.csv OUT.png [MACHINE-SUBTITLE] [WORKLOAD]
#        (WORKLOAD defaults to the end of OUT's name: concurrency-sleep.png -> sleep)
script_dir = "."
do for [i = 1:strlen(ARG0)] { if (ARG0[i:i] eq "/") { script_dir = ARG0[1:i - 1] } }
args = ARGC; arg1 = ARG1; arg2 = ARG2; arg3 = ARG3; arg4 = ARG4
load script_dir . "/models.gp"

# Columns: 1 workload, 2 kind, 3 model, 4 part, 5 tasks, 6 concurrency, 9 min_s, 10 median_s,
# 11 max_s, 14 ideal_s, 22 per_task_us.
stats data using (strcol(1) eq workload && strcol(4) eq "concurrency" ? $5 : 0):(strcol(1) eq workload && strcol(4) eq "concurrency" ? $10 : 0) nooutput
if (STATS_max_x <= 0) {
    print sprintf("concurrency.gp: no 'concurrency' rows for workload '%s' in %s", workload, data)
    exit status 1
}
n_fixed = STATS_max_x; t_max = STATS_max_y
stats data using (strcol(1) eq workload && strcol(4) eq "concurrency" ? $6 : 0) nooutput
j_max = STATS_max
stats data using (strcol(1) eq workload && strcol(4) eq "concurrency" && $10 > 0 ? $10 : 1e9):(strcol(1) eq workload && strcol(4) eq "concurrency" && $9 > 0 ? $9 : 1e9) nooutput
t_min = STATS_min_y
stats data using (strcol(1) eq workload ? (strcol(2) eq "io" ? 1 : 2) : 0) nooutput
is_io = STATS_max == 1

# The CPU-bound ideal: t1 x ceil(N / min(j, cores)), t1 = single's time for one task (from the
# headline rows), cores = the headline's -j for CPU work.
stats data using (strcol(4) eq "headline" && strcol(2) eq "cpu" ? $6 : 0) nooutput
cores = STATS_max > 0 ? STATS_max : 1
stats data using (strcol(1) eq workload && strcol(3) eq "single" && strcol(4) eq "headline" ? $22 / 1e6 : 0) nooutput
t1 = STATS_max
min(a, b) = a < b ? a : b
ideal(x) = is_io ? (valid(14) ? $14 : NaN) : (t1 > 0 ? t1 * ceil($5 / min($6, cores)) : NaN)

split_if = 'strcol(1) eq workload && strcol(4) eq "concurrency"'
split_cols = '6:10:9:11:(ideal(0))'
eval split_rows
first = have ne "" ? word(have, 1) + 0 : 1

# CPU-bound on a busy machine: say so (single's CPU time over wall time well under 1). Before
# any range is set: stats ignores points outside the ranges.
stats data using (strcol(4) eq "headline" && strcol(1) eq workload && strcol(3) eq "single" && valid(16) && $10 > 0 ? $16 / $10 : 1) nooutput
busy_share = STATS_min

chart_title = sprintf("%s: wall time against concurrency, %d tasks (%s-bound)", workload, n_fixed, is_io ? "I/O" : "CPU")
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
set key top right samplen 3 box lc rgb "#cccccc"
ideal_note = is_io ? sprintf("Dashed: the ideal, ceil(%d / j) × D.", n_fixed) : \
    sprintf("Dashed: the ideal, %d × t1 / min(j, %d cores), t1 = single's time per task; async computes on one thread, whatever j.", n_fixed, cores)
set label 6 ideal_note . " Whiskers: fastest to slowest run." \
    at screen 0.5, screen 0.02 center font ",10" tc rgb "#404040"
set bmargin 5
if (!is_io && busy_share < 0.8) {
    set label 7 sprintf("The machine was busy: single got %.0f %% of a core here; times are inflated and noisy.", busy_share * 100) \
        at graph 0.5, graph 0.04 center font ",10" tc rgb "#c00000"
}

do for [k = 1:2] {
    eval set_term(k)
    plot for [s in have] block(s + 0) using 1:2 smooth unique with lines lt (s + 0) title model_name(s + 0), \
         for [s in have] block(s + 0) using 1:2:3:4 with yerrorbars lt (s + 0) lw 1 pt 7 notitle, \
         block(first) using 1:5 smooth unique with lines lt 9 lw 2 title "ideal"
}
set output
