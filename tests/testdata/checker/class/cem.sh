# cem's server, started from the roster as "sh ./cem.sh": a script in
# the roster's folder, which finds the port in $PORT.
exec "$BIN/step1-socket" -addr "127.0.0.1:$PORT"
