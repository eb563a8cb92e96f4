# timeline.gp — one configuration of one workload (timeline.csv): each task's start and end as a
# bar, one panel per model (in model order, in its colour: both from summary.csv beside it), on a
# common time axis, so a reader sees which tasks overlapped.
# usage: gnuplot -c plots/timeline.gp TIMELINE.csv OUT.png [MACHINE-SUBTITLE] [WORKLOAD] [CONFIG]
#        (WORKLOAD defaults to the end of OUT's name: timeline-sleep.png -> sleep; CONFIG is a
#        phrase for the title such as "16 tasks, -j 4")
script_dir = "."
do for [i = 1:strlen(ARG0)] { if (ARG0[i:i] eq "/") { script_dir = ARG0[1:i - 1] } }
args = ARGC; arg1 = ARG1; arg2 = ARG2; arg3 = ARG3; arg4 = ARG4; arg5 = ARG5; arg6 = ARG6
load script_dir . "/models.gp"

# timeline.csv: workload, model, task, start_s, end_s, status (by name). A task without a start
# (not started) has no bar.
in_wl = 'strcol("workload") eq workload && is_num(column("start_s")) && is_num(column("end_s"))'
stats data using (@in_wl ? column("end_s") * 1000 : 0) nooutput
if (STATS_max <= 0) {
    print sprintf("timeline.gp: no tasks for workload '%s' in %s", workload, data)
    exit status 1
}
t_end = STATS_max
stats data using (@in_wl ? column("task") : 0) nooutput
n_tasks = int(STATS_max) + 1
config = strlen(config) > 0 ? config : sprintf("%d tasks", n_tasks)
# The models' order and colours: summary.csv in the same folder.
scan_file = dir_of(data) . "summary.csv"
scan_if = '1'
eval scan_models

# One datablock a model (its own columns, used by position below): 1 task, 2 start and 3 end in
# ms, 4 ok (1) or not (0).
split_if = in_wl
split_cols = '(column("task")):(column("start_s") * 1000):(column("end_s") * 1000):(strcol("status") eq "ok" ? 1 : 0)'
eval split_rows
array batch[nmodels]
array failed[nmodels]
do for [s in have] {
    stats block(s + 0) using 3 nooutput
    batch[s + 0] = STATS_max
    stats block(s + 0) using ($4 == 0 ? 1 : 0) nooutput
    failed[s + 0] = int(STATS_sum)
}

chart_title = sprintf("%s: when each task ran, %s — one panel per model", workload, config)
eval heading
set label 6 "Each bar is one task, from its start to its end (ms after the batch began). Bars that share a stretch of the time axis ran at the same time. Red outline: the task failed." \
    at screen 0.5, screen 0.02 center font ",10" tc rgb "#404040"
set xrange [0:t_end * 1.04]
set yrange [-0.8:n_tasks - 0.2]
set ytics (0, n_tasks - 1)
set ytics add (sprintf("%d", (n_tasks - 1) / 2) (n_tasks - 1) / 2)
set grid xtics noytics lc rgb "#e4e4e4"
set style fill solid 0.85 noborder
set key off
npanels = words(have)
rows_ = npanels <= 3 ? 1 : npanels <= 8 ? 2 : 3
cols_ = int(ceil(npanels / (rows_ * 1.0)))
# Time tics in 1-2-5 steps, fewer when the panels are narrow.
step_raw = t_end * 1.04 / (cols_ >= 4 ? 3 : 6)
step_mag = 10 ** floor(log10(step_raw))
step_f = step_raw / step_mag
t_step = (step_f <= 1 ? 1 : step_f <= 2 ? 2 : step_f <= 5 ? 5 : 10) * step_mag
set xtics t_step

do for [k = 1:2] {
    eval set_term(k)
    set multiplot layout rows_, cols_ margins 0.06, 0.98, 0.12, 0.84 spacing 0.05, 0.16
    do for [s in have] {
        i = s + 0
        set title sprintf("%s: batch %.0f ms%s", M_name[i], batch[i], failed[i] > 0 ? sprintf(", %d failed", failed[i]) : "") noenhanced font ",12" tc rgb M_rgb[i]
        set xlabel "time since the batch began (ms)" font ",10"
        set ylabel "task" font ",10"
        plot block(i) using (($2 + $3) / 2):1:2:3:($1 - 0.38):($1 + 0.38) with boxxyerror lc rgb M_rgb[i], \
             block(i) using (($2 + $3) / 2):($4 == 0 ? $1 : NaN):2:3:($1 - 0.38):($1 + 0.38) with boxxyerror fs empty border lc rgb "#d00000" lc rgb "#d00000" lw 2
        unset label 100
        unset label 101
        unset label 6
    }
    unset multiplot
    set label 100 machine at screen 0.5, screen 0.925 center noenhanced font ",11" tc rgb "#404040"
    eval heading
    set label 6 "Each bar is one task, from its start to its end (ms after the batch began). Bars that share a stretch of the time axis ran at the same time. Red outline: the task failed." \
        at screen 0.5, screen 0.02 center font ",10" tc rgb "#404040"
}
set output
