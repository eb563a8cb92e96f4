# user.gp — a sweep of your own (part `user`): wall time against one swept dimension (tasks,
# concurrency or an option), one line per model (and per value of the other swept dimensions:
# same colour, another dash), whiskers from the fastest to the slowest run; beside it the
# speed-up over the serial reference when the sweep has it (speedup_panel=1). The serial
# reference, constant along a dimension it does not take, is a dashed line across.
# Data (written by concbench report, one block a line, two blank lines apart):
#   line,rgb,dt,x,median_s,min_s,max_s,speedup
# usage: gnuplot [-e "speedup_panel=1"] -c plots/user.gp DATA OUT.png [MACHINE] [TITLE] [XLABEL] [REF]
script_dir = "."
do for [i = 1:strlen(ARG0)] { if (ARG0[i:i] eq "/") { script_dir = ARG0[1:i - 1] } }
args = ARGC; arg1 = ARG1; arg2 = ARG2; arg3 = ARG3; arg4 = ""; arg5 = ""; arg6 = ARG6
title_arg = ARGC >= 4 ? ARG4 : "wall time against the swept dimension"
xlabel_arg = ARGC >= 5 ? ARG5 : "swept value"
load script_dir . "/models.gp"
if (!exists("speedup_panel")) { speedup_panel = 0 }
ref_label = strlen(arg_ref) > 0 ? arg_ref : "the serial reference"

stats data using "x" nooutput
nlines = STATS_blocks
x_lo = STATS_min; x_hi = STATS_max
stats data using "median_s" nooutput
t_lo = STATS_min; t_hi = STATS_max
stats data using "min_s" nooutput
t_lo = STATS_min < t_lo ? STATS_min : t_lo
stats data using "max_s" nooutput
t_hi = STATS_max > t_hi ? STATS_max : t_hi
array L_name[nlines]
array L_rgb[nlines]
array L_dt[nlines]
do for [i = 0:nlines - 1] {
    stats data index i using (L_name[i + 1] = strcol("line"), L_rgb[i + 1] = int(column("rgb")), L_dt[i + 1] = int(column("dt")), 0) nooutput
}

chart_title = title_arg
eval heading
log_x = x_lo > 0 && x_hi / x_lo >= 20
log_t = t_lo > 0 && t_hi / t_lo >= 20
set grid xtics ytics lc rgb "#e4e4e4"
# The key below the chart(s), three lines a row, so it never covers a line.
key_rows = int((nlines + 2) / 3)
bottom = 0.175 + 0.024 * key_rows
set key at screen 0.5, screen (bottom - 0.085) center top vertical maxrows key_rows Left reverse samplen 3 box lc rgb "#cccccc" noenhanced
set label 6 "Whiskers: fastest to slowest run. Dashed across: the serial reference, where it does not take the swept value." \
    at screen 0.5, screen 0.02 center noenhanced font ",10" tc rgb "#404040"
set bmargin at screen bottom
set tmargin at screen 0.86
pad_lo(v, lg) = lg ? v / 1.6 : v - (x_hi - x_lo) * 0.05 - (x_hi == x_lo ? 1 : 0)
pad_hi(v, lg) = lg ? v * 1.6 : v + (x_hi - x_lo) * 0.05 + (x_hi == x_lo ? 1 : 0)

do for [k = 1:2] {
    eval set_term(k)
    if (speedup_panel) { set multiplot layout 1, 2 margins 0.08, 0.98, bottom, 0.86 spacing 0.09 } else { set lmargin at screen 0.08; set rmargin at screen 0.98 }
    if (log_x) { set logscale x 10 } else { unset logscale x }
    set xrange [pad_lo(x_lo, log_x):pad_hi(x_hi, log_x)]
    set xlabel xlabel_arg . (log_x ? " (log scale)" : "") noenhanced
    if (log_t) { set logscale y 10; eval log_time_tics; set yrange [t_lo / 1.6:t_hi * 1.6] } else { unset logscale y; set ytics auto; set format y "%g"; set yrange [0:t_hi * 1.15] }
    set ylabel "wall time for the whole batch" . (log_t ? " (log scale)" : ", s") . " (lower is faster)"
    plot for [i = 0:nlines - 1] data index i using "x":"median_s" with lines lc rgb L_rgb[i + 1] lw 2 dt L_dt[i + 1] title L_name[i + 1], \
         for [i = 0:nlines - 1] data index i using "x":"median_s":"min_s":"max_s" with yerrorbars lc rgb L_rgb[i + 1] pt 7 ps 0.9 notitle
    if (speedup_panel) {
        unset logscale y
        set ytics auto
        set format y "%g"
        set yrange [0:*]
        set ylabel sprintf("speed-up over %s (same N and options; higher is faster)", ref_label) noenhanced
        unset label 101
        unset label 6
        unset key
        set label 7 "1: as fast as " . ref_label at graph 0.02, first 1 left offset 0, 0.6 noenhanced font ",10" tc rgb "#404040"
        plot for [i = 0:nlines - 1] data index i using "x":"speedup" with linespoints lc rgb L_rgb[i + 1] lw 2 dt L_dt[i + 1] pt 7 ps 0.9 notitle, \
             1 with lines lt 99 notitle
        unset label 7
        set label 6 "Whiskers: fastest to slowest run. Dashed across: the serial reference, where it does not take the swept value." \
            at screen 0.5, screen 0.02 center noenhanced font ",10" tc rgb "#404040"
        set key at screen 0.5, screen (bottom - 0.085) center top vertical maxrows key_rows Left reverse samplen 3 box lc rgb "#cccccc" noenhanced
        unset multiplot
        eval heading
    }
}
set output
