/* SQLite's own cost per request-log row, the least any writer can pay on this schema: one
   prepared single-row INSERT, bound and stepped per row (no SQL parsing, no ORM, no
   allocation), BEGIN/COMMIT per batch of 500, WAL + synchronous=NORMAL as the gateway sets
   them. Built and run by scripts/sqlite-floor.sh against the SQLite the gateway bundles.
   usage: sqlite_floor DB ROWS [drop-indexes] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <sqlite3.h>
static double cpu(void){struct rusage r;getrusage(RUSAGE_SELF,&r);
 return r.ru_utime.tv_sec+r.ru_utime.tv_usec/1e6+r.ru_stime.tv_sec+r.ru_stime.tv_usec/1e6;}
static double sys_(void){struct rusage r;getrusage(RUSAGE_SELF,&r);return r.ru_stime.tv_sec+r.ru_stime.tv_usec/1e6;}
int main(int argc,char**argv){
 sqlite3*db; if(sqlite3_open(argv[1],&db)){puts("open");return 1;}
 long rows=atol(argv[2]);
 sqlite3_exec(db,"PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",0,0,0);
 /* The indexes a successful request's row updates besides the table itself (the partial
    ones over failures cost a success nothing). */
 if(argc>3 && sqlite3_exec(db,"DROP INDEX idx_request_logs_created; DROP INDEX idx_request_logs_model_id; DROP INDEX idx_request_logs_provider_id; DROP INDEX idx_request_logs_client_key_id; DROP INDEX idx_request_logs_route_id;",0,0,0)){
  printf("drop index: %s\n",sqlite3_errmsg(db)); return 1;}
 sqlite3_stmt*st; const char*sql="INSERT INTO request_logs (request_id, created_at, client_key_id, client_ip, protocol, endpoint, model, provider_id, provider_name, upstream_model, route_id, attempts, attempt_detail, status_code, error_class, error_message, latency_ms, ttft_ms, prompt_tokens, completion_tokens, cached_tokens, tokens_estimated, cost, stream) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
 if(sqlite3_prepare_v2(db,sql,-1,&st,0)){printf("prepare: %s\n",sqlite3_errmsg(db));return 1;}
 char rid[40], ts[40]; const char*att="[{\"provider\":\"bench-mock\",\"class\":\"ok\",\"status\":200}]";
 double c0=cpu(), s0=sys_(); struct timespec w0,w1; clock_gettime(CLOCK_MONOTONIC,&w0);
 for(long i=0;i<rows;i++){
  if(i%500==0) sqlite3_exec(db,"BEGIN IMMEDIATE",0,0,0);
  snprintf(rid,sizeof rid,"%016lx%016lx",0x1234abcdUL,i);
  long us=i*25; snprintf(ts,sizeof ts,"2026-11-26 17:%02ld:%02ld.%06ld",(us/60000000)%60,(us/1000000)%60,us%1000000);
  int k=1;
  sqlite3_bind_text(st,k++,rid,-1,SQLITE_STATIC); sqlite3_bind_text(st,k++,ts,-1,SQLITE_STATIC);
  sqlite3_bind_int64(st,k++,1); sqlite3_bind_text(st,k++,"127.0.0.1",-1,SQLITE_STATIC);
  sqlite3_bind_text(st,k++,"openai",-1,SQLITE_STATIC); sqlite3_bind_text(st,k++,"/v1/chat/completions",-1,SQLITE_STATIC);
  sqlite3_bind_text(st,k++,"bench-model",-1,SQLITE_STATIC); sqlite3_bind_int64(st,k++,1);
  sqlite3_bind_text(st,k++,"bench-mock",-1,SQLITE_STATIC); sqlite3_bind_text(st,k++,"bench-upstream",-1,SQLITE_STATIC);
  sqlite3_bind_int64(st,k++,1); sqlite3_bind_int(st,k++,1); sqlite3_bind_text(st,k++,att,-1,SQLITE_STATIC);
  sqlite3_bind_int(st,k++,200); sqlite3_bind_null(st,k++); sqlite3_bind_null(st,k++);
  sqlite3_bind_int(st,k++,1); sqlite3_bind_null(st,k++); sqlite3_bind_int(st,k++,12); sqlite3_bind_int(st,k++,9);
  sqlite3_bind_null(st,k++); sqlite3_bind_int(st,k++,0); sqlite3_bind_null(st,k++); sqlite3_bind_int(st,k++,0);
  if(sqlite3_step(st)!=SQLITE_DONE){printf("step: %s\n",sqlite3_errmsg(db));return 1;}
  sqlite3_reset(st);
  if(i%500==499||i==rows-1) sqlite3_exec(db,"COMMIT",0,0,0);
 }
 clock_gettime(CLOCK_MONOTONIC,&w1);
 double c=cpu()-c0, s=sys_()-s0, w=(w1.tv_sec-w0.tv_sec)+(w1.tv_nsec-w0.tv_nsec)/1e9;
 printf("%ld rows%s: CPU %.2f us/row (kernel %.2f), wall %.2f us/row\n",rows,argc>3?" (5 secondary indexes dropped)":"",c/rows*1e6,s/rows*1e6,w/rows*1e6);
 return 0;}
