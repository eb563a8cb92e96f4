# scaling.gp — wall time against the number of tasks for one workload (the "tasks" rows of
# summary.csv), log-log, one line per model, each model's ideal dashed.
# usage: gnuplot -c plots/scaling.gp SUMMARY.csv OUT.png [MACHINE-SUBTITLE] [WORKLOAD]
#        (WORKLOAD defaults to the end of OUT's name: scaling-sleep.png -> sleep)
script_dir = "."
do for [i = 1:strlen(ARG0)] { if (ARG0[i:i] eq "/") { script_dir = ARG0[1:i - 1] } }
args = ARGC; arg1 = ARG1; arg2 = ARG2; arg3 = ARG3; arg4 = ARG4
load script_dir . "/models.gp"

# Columns: 1 workload, 2 kind, 3 model, 4 part, 5 tasks, 6 concurrency, 9 min_s, 10 median_s,
# 11 max_s, 14 ideal_s, 22 per_task_us.
stats data using (strcol(1) eq workload && strcol(4) eq "tasks" ? $5 : 0):(strcol(1) eq workload && strcol(4) eq "tasks" ? $10 : 0) nooutput
if (STATS_max_x <= 0) {
    print sprintf("scaling.gp: no 'tasks' rows for workload '%s' in %s", workload, data)
    exit status 1
}
n_max = STATS_max_x; t_max = STATS_max_y
stats data using (strcol(1) eq workload && strcol(4) eq "tasks" && $10 > 0 ? $10 : 1e9):(strcol(1) eq workload && strcol(4) eq "tasks" && $9 > 0 ? $9 : 1e9) nooutput
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
# async runs CPU-bound tasks inline on its one thread: its ideal is single's.
ideal(x) = is_io ? (valid(14) ? $14 : NaN) : \
    (t1 > 0 ? t1 * ceil($5 / (strcol(3) eq "async" ? 1 : min($6, cores))) : NaN)

split_if = 'strcol(1) eq workload && strcol(4) eq "tasks"'
split_cols = '5:10:9:11:(ideal(0)):6'
eval split_rows
# The legend says each model's concurrency: one fixed j, or every task at once (j = N).
array mtitle[nmodels]
do for [s in have] {
    stats block(s + 0) using ($6 == $1 ? 0 : $6) nooutput
    mtitle[s + 0] = model_name(s + 0) . (s + 0 == 1 ? " (one at a time)" : \
        STATS_max > 0 ? sprintf(" (j = %d)", STATS_max) : " (j = N: all at once)")
}

# CPU-bound on a busy machine: say so (single's CPU time over wall time well under 1). Before
# any range is set: stats ignores points outside the ranges.
stats data using (strcol(4) eq "headline" && strcol(1) eq workload && strcol(3) eq "single" && valid(16) && $10 > 0 ? $16 / $10 : 1) nooutput
busy_share = STATS_min

chart_title = sprintf("%s: wall time against the number of tasks (%s-bound)", workload, is_io ? "I/O" : "CPU")
eval heading
set xlabel "number of tasks N (log scale)"
set ylabel "wall time for the whole batch (log scale; lower is faster)"
set logscale xy 10
eval log_time_tics
if (is_io) { eval log_count_tics } else { set xtics (1, 2, 4, 8, 16, 32, 64, 128) }
set mxtics default
set xrange [0.7:n_max * 1.6]
set yrange [t_min / 2:t_max * 3]
set grid xtics ytics lc rgb "#e4e4e4"
set key top left Left reverse samplen 3 box lc rgb "#cccccc"
ideal_note = is_io ? "Dashed: each model's ideal, ceil(N / j) × D for j tasks at once (single: j = 1)." : \
    sprintf("Dashed: each model's ideal, N × t1 / min(j, %d cores) (async: N × t1, one thread), t1 = single's time per task.", cores)
set label 6 ideal_note . " Whiskers: fastest to slowest run." \
    at screen 0.5, screen 0.02 center font ",10" tc rgb "#404040"
set bmargin 5
if (!is_io && busy_share < 0.8) {
    set label 7 sprintf("The machine was busy: single got %.0f %% of a core here; times are inflated and noisy.", busy_share * 100) \
        at graph 0.5, graph 0.04 center font ",10" tc rgb "#c00000"
}

do for [k = 1:2] {
    eval set_term(k)
    plot for [s in have] block(s + 0) using 1:2 smooth unique with lines lt (s + 0) title mtitle[s + 0], \
         for [s in have] block(s + 0) using 1:2:3:4 with yerrorbars lt (s + 0) lw 1 pt 7 notitle, \
         for [s in have] block(s + 0) using 1:5 smooth unique with lines lt (s + 0) lw 1 dt 2 notitle, \
         NaN with lines lt 9 title "ideal (dashed)"
}
set output
