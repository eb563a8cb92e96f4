# lost.gp — updates lost without a lock (a workload of the kind "contended", rows whose `sync` is
# none): one bar per model, the share of the updates the tasks made that the shared state does
# not hold, at the model's highest concurrency; whiskers from the run that lost least to the one
# that lost most. A model that runs one task at a time loses none.
# usage: gnuplot -c plots/lost.gp CONTENDED.csv OUT.png [MACHINE-SUBTITLE] [WORKLOAD]
script_dir = "."
do for [i = 1:strlen(ARG0)] { if (ARG0[i:i] eq "/") { script_dir = ARG0[1:i - 1] } }
args = ARGC; arg1 = ARG1; arg2 = ARG2; arg3 = ARG3; arg4 = ARG4; arg5 = ARG5; arg6 = ARG6
load script_dir . "/models.gp"

rows_if = 'strcol("workload") eq workload && strcol("sync") eq "none" && column("updates") > 0 && column("lost_updates") >= 0'
stats data using (@rows_if ? column("updates") : 0) nooutput
if (STATS_max <= 0) {
    print sprintf("lost.gp: no rows without a lock (sync none) for workload '%s' in %s", workload, data)
    exit status 1
}
scan_file = data
scan_if = rows_if
eval scan_models
# Each model's bar: its row of highest concurrency (concurrency part first, then the others).
array j_of[nmodels]
array t_of[nmodels]
do for [i = 1:nmodels] { j_of[i] = 0; t_of[i] = 0 }
mi(x) = m_find(strcol("model"), 1)
j_row(i) = (column("concurrency") > j_of[i] ? (j_of[i] = column("concurrency"), t_of[i] = column("tasks")) : 0, 1)
stats data using (@rows_if && mi(0) > 0 ? j_row(mi(0)) : 0) nooutput
mine(i) = @rows_if && mi(0) == i && column("concurrency") == j_of[i] && column("tasks") == t_of[i]
pct(c) = 100.0 * column(c) / column("updates")

chart_title = sprintf("%s without a lock (--sync none): updates lost per model", workload)
eval heading
set label 6 "Lost = updates made - the counter at the end, as a share of the updates made (median run; whiskers: least to most lost). Under each model: tasks and most in flight (j)." \
    at screen 0.5, screen 0.02 center noenhanced font ",10" tc rgb "#404040"
set ylabel "updates lost (% of those made)"
set yrange [0:109]
set ytics 0, 10, 100
set xrange [0.4:nmodels + 0.6]
set xtics () scale 0 noenhanced
do for [i = 1:nmodels] { set xtics add (sprintf("%s\nN = %d, j = %d", M_name[i], t_of[i], j_of[i]) i) }
set grid noxtics ytics
set style fill solid 0.9 border lc rgb "#303030"
set key off
set bmargin 6
bw = 0.6

do for [k = 1:2] {
    eval set_term(k)
    plot for [i = 1:nmodels] data using (i):(mine(i) ? pct("lost_updates") : NaN):(i - bw / 2):(i + bw / 2):(0):(pct("lost_updates")) \
             with boxxyerror lt i notitle, \
         for [i = 1:nmodels] data using (i):(mine(i) ? pct("lost_updates") : NaN):(pct("lost_min")):(pct("lost_max")) \
             with yerrorbars lc rgb "#202020" lw 1.2 pt 0 notitle, \
         for [i = 1:nmodels] data using (i):(mine(i) ? pct("lost_max") + 4 : NaN):(sprintf("%.1f %% (%.0f of %.0f)", pct("lost_updates"), column("lost_updates"), column("updates"))) \
             with labels font ",10" tc rgb "#202020" notitle
}
set output
