<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>App</name>
    <message>
        <source>Enrol terminal</source>
        <translation>登记终端</translation>
    </message>
    <message>
        <source>Could not export: %1</source>
        <translation>无法导出：%1</translation>
    </message>
    <message>
        <source>Diagnostics saved to %1</source>
        <translation>诊断包已保存到 %1</translation>
    </message>
    <message>
        <source>Sync started.</source>
        <translation>已开始同步。</translation>
    </message>
    <message>
        <source>No camera is configured.</source>
        <translation>未配置摄像头。</translation>
    </message>
    <message>
        <source>Camera restarted: watch the preview and the camera line above.</source>
        <translation>摄像头已重启：请查看预览画面和上方的摄像头状态。</translation>
    </message>
    <message>
        <source>The wedge scanner reader is off ([scan] wedge_enabled).</source>
        <translation>扫码枪读取已关闭（[scan] wedge_enabled）。</translation>
    </message>
    <message>
        <source>Scan a code with the scanner now (a badge, or any QR or barcode).</source>
        <translation>请现在用扫码枪扫描一个码（工牌，或任意二维码、条码）。</translation>
    </message>
    <message>
        <source>a badge (%1)</source>
        <translation>工牌（%1）</translation>
    </message>
</context>
<context>
    <name>Card</name>
    <message>
        <source>Not a badge</source>
        <translation>不是工牌</translation>
    </message>
    <message>
        <source>Badge revoked</source>
        <translation>工牌已注销</translation>
    </message>
    <message>
        <source>Badge expired</source>
        <translation>工牌已过期</translation>
    </message>
    <message>
        <source>Badge not valid yet</source>
        <translation>工牌尚未生效</translation>
    </message>
    <message>
        <source>Badge not valid</source>
        <translation>工牌无效</translation>
    </message>
    <message>
        <source>Recorded</source>
        <translation>已记录</translation>
    </message>
    <message>
        <source>at %1</source>
        <translation>时间 %1</translation>
    </message>
    <message>
        <source>Already recorded at %1</source>
        <translation>已于 %1 记录</translation>
    </message>
    <message>
        <source>No need to scan again.</source>
        <translation>无需再次扫描。</translation>
    </message>
    <message>
        <source>NOT recorded – storage problem, please tell IT</source>
        <translation>未记录 – 存储故障，请通知 IT</translation>
    </message>
    <message>
        <source>Your punch was not saved. Please tell IT.</source>
        <translation>本次打卡未保存，请通知 IT。</translation>
    </message>
    <message>
        <source>This code is not an employee badge.</source>
        <translation>此二维码不是员工工牌。</translation>
    </message>
    <message>
        <source>This badge was blocked. Please see reception.</source>
        <translation>此工牌已被停用，请联系前台。</translation>
    </message>
    <message>
        <source>This badge has expired. Please see reception.</source>
        <translation>此工牌已过期，请联系前台。</translation>
    </message>
    <message>
        <source>This badge is not active yet.</source>
        <translation>此工牌尚未启用。</translation>
    </message>
    <message>
        <source>This badge could not be verified. Please see reception.</source>
        <translation>无法验证此工牌，请联系前台。</translation>
    </message>
    <message>
        <source>Saved on this terminal – will sync</source>
        <translation>已保存在本终端 – 稍后同步</translation>
    </message>
    <message>
        <source>Recorded at %1. The server will get it when the network is back.</source>
        <translation>%1 已记录。网络恢复后将发送到服务器。</translation>
    </message>
    <message>
        <source>not a badge</source>
        <translation>不是工牌</translation>
    </message>
    <message>
        <source>badge not valid</source>
        <translation>工牌无效</translation>
    </message>
    <message>
        <source>badge expired</source>
        <translation>工牌已过期</translation>
    </message>
    <message>
        <source>badge not valid yet</source>
        <translation>工牌尚未生效</translation>
    </message>
    <message>
        <source>badge revoked</source>
        <translation>工牌已注销</translation>
    </message>
    <message>
        <source>employee unknown</source>
        <translation>未知员工</translation>
    </message>
    <message>
        <source>employee no longer active</source>
        <translation>员工已离职</translation>
    </message>
    <message>
        <source>not allowed at this site</source>
        <translation>无权在此地点打卡</translation>
    </message>
    <message>
        <source>terminal clock is wrong</source>
        <translation>终端时钟错误</translation>
    </message>
    <message>
        <source>terminal mismatch</source>
        <translation>终端不匹配</translation>
    </message>
    <message>
        <source>terminal blocked</source>
        <translation>终端已停用</translation>
    </message>
    <message>
        <source>conflicting punch</source>
        <translation>打卡冲突</translation>
    </message>
    <message>
        <source>refused by the server</source>
        <translation>服务器拒绝</translation>
    </message>
    <message>
        <source>%1 min</source>
        <translation>%1 分钟</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 小时 %2 分钟</translation>
    </message>
    <message>
        <source>Not accepted: %1</source>
        <translation>未被接受：%1</translation>
    </message>
    <message>
        <source>Please see reception.</source>
        <translation>请联系前台。</translation>
    </message>
    <message>
        <source>Already checked in at %1</source>
        <translation>已于 %1 签到</translation>
    </message>
    <message>
        <source>This scan is not a check-out.</source>
        <translation>本次扫码不算签退。</translation>
    </message>
    <message>
        <source>Checked out at %1</source>
        <translation>%1 已签退</translation>
    </message>
    <message>
        <source>Late %1</source>
        <translation>迟到 %1</translation>
    </message>
    <message>
        <source>Request saved – sending…</source>
        <translation>申请已保存 – 正在发送…</translation>
    </message>
    <message>
        <source>It is sent as soon as the server can be reached.</source>
        <translation>服务器可连接时将立即发送。</translation>
    </message>
    <message>
        <source>Request sent – waiting for approval</source>
        <translation>申请已提交 – 等待审批</translation>
    </message>
    <message>
        <source>Make-up punch for %1; HR will decide.</source>
        <translation>%1 的补卡申请；由人事审批。</translation>
    </message>
    <message>
        <source>The monthly limit of make-up requests is reached.</source>
        <translation>本月补卡次数已达上限。</translation>
    </message>
    <message>
        <source>That day is too long ago for a make-up request.</source>
        <translation>该日期太久远，无法补卡。</translation>
    </message>
    <message>
        <source>That time has not come yet.</source>
        <translation>该时间尚未到来。</translation>
    </message>
    <message>
        <source>This make-up punch was requested already.</source>
        <translation>此补卡已申请过。</translation>
    </message>
    <message>
        <source>You do not belong to this terminal&apos;s site.</source>
        <translation>您不属于本终端所在地点。</translation>
    </message>
    <message>
        <source>The terminal could not save the request. Please tell IT.</source>
        <translation>终端无法保存该申请，请通知 IT。</translation>
    </message>
    <message>
        <source>The server refused the request. Please see HR.</source>
        <translation>服务器拒绝了该申请，请联系人事。</translation>
    </message>
    <message>
        <source>Request not accepted</source>
        <translation>申请未被接受</translation>
    </message>
    <message>
        <source>Checked out</source>
        <translation>已签退</translation>
    </message>
    <message>
        <source>left %1 early, shift ends %2</source>
        <translation>早退 %1，班次 %2 结束</translation>
    </message>
    <message>
        <source>left %1 early</source>
        <translation>早退 %1</translation>
    </message>
    <message>
        <source>Goodbye!</source>
        <translation>再见！</translation>
    </message>
    <message>
        <source>shift %1, grace %2</source>
        <translation>班次 %1，宽限 %2 分钟</translation>
    </message>
    <message>
        <source>Checked in – on time</source>
        <translation>已签到 – 准时</translation>
    </message>
    <message>
        <source>Welcome!</source>
        <translation>欢迎！</translation>
    </message>
    <message>
        <source>Checked in</source>
        <translation>已签到</translation>
    </message>
    <message>
        <source>Accepted by the server.</source>
        <translation>服务器已确认。</translation>
    </message>
    <message>
        <source>Scan your badge at the badge scanner</source>
        <translation>请在工牌扫描器上扫描您的工牌</translation>
    </message>
    <message>
        <source>Show your badge to the camera</source>
        <translation>请将工牌对准摄像头</translation>
    </message>
</context>
<context>
    <name>CorrectionScreen</name>
    <message>
        <source>Yesterday</source>
        <translation>昨天</translation>
    </message>
    <message>
        <source>Today</source>
        <translation>今天</translation>
    </message>
    <message>
        <source>Two days ago</source>
        <translation>前天</translation>
    </message>
    <message>
        <source>Check in</source>
        <translation>签到</translation>
    </message>
    <message>
        <source>Check out</source>
        <translation>签退</translation>
    </message>
    <message>
        <source>Forgot to scan</source>
        <translation>忘记打卡</translation>
    </message>
    <message>
        <source>Badge not at hand</source>
        <translation>未带工牌</translation>
    </message>
    <message>
        <source>Terminal was not working</source>
        <translation>终端故障</translation>
    </message>
    <message>
        <source>Working outside the office</source>
        <translation>外出办公</translation>
    </message>
    <message>
        <source>− hour</source>
        <translation>− 1 小时</translation>
    </message>
    <message>
        <source>− 5 min</source>
        <translation>− 5 分钟</translation>
    </message>
    <message>
        <source>+ 5 min</source>
        <translation>+ 5 分钟</translation>
    </message>
    <message>
        <source>+ hour</source>
        <translation>+ 1 小时</translation>
    </message>
    <message>
        <source>Send request</source>
        <translation>提交申请</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Day</source>
        <translation>日期</translation>
    </message>
    <message>
        <source>Direction</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Forgot a punch? %1</source>
        <translation>忘记打卡？%1</translation>
    </message>
</context>
<context>
    <name>EnrollScreen</name>
    <message>
        <source>This terminal is not enrolled yet</source>
        <translation>本终端尚未登记</translation>
    </message>
    <message>
        <source>Ask the administrator for a one-time enrolment code (kiosk-server add-terminal), then enter it with the server address, or show its enrolment QR to the camera or the scanner.</source>
        <translation>请向管理员索取一次性登记码（kiosk-server add-terminal），然后与服务器地址一起输入；或将登记二维码对准摄像头或扫码枪。</translation>
    </message>
    <message>
        <source>enrolment code</source>
        <translation>登记码</translation>
    </message>
    <message>
        <source>Enrol this terminal</source>
        <translation>登记本终端</translation>
    </message>
    <message>
        <source>Server address:</source>
        <translation>服务器地址：</translation>
    </message>
    <message>
        <source>Enrolment code:</source>
        <translation>登记码：</translation>
    </message>
    <message>
        <source>The server address must start with http:// or https://</source>
        <translation>服务器地址必须以 http:// 或 https:// 开头</translation>
    </message>
    <message>
        <source>Enter the enrolment code you were given.</source>
        <translation>请输入您获得的登记码。</translation>
    </message>
    <message>
        <source>Enrolling…</source>
        <translation>正在登记…</translation>
    </message>
    <message>
        <source>This code is not an enrolment code.</source>
        <translation>这不是登记码。</translation>
    </message>
    <message>
        <source>The enrolment QR was not read completely: scan it again.</source>
        <translation>登记二维码未完整读取：请重新扫描。</translation>
    </message>
</context>
<context>
    <name>FeedbackCard</name>
    <message>
        <source>Forgot a punch?</source>
        <translation>忘记打卡？</translation>
    </message>
</context>
<context>
    <name>HeaderBar</name>
    <message>
        <source>Unnamed terminal</source>
        <translation>未命名终端</translation>
    </message>
    <message>
        <source>%1 · site %2</source>
        <translation>%1 · 地点 %2</translation>
    </message>
    <message>
        <source>○ Connecting…</source>
        <translation>○ 正在连接…</translation>
    </message>
    <message>
        <source>● Online</source>
        <translation>● 在线</translation>
    </message>
    <message>
        <source>✕ Offline – punches are kept</source>
        <translation>✕ 离线 – 打卡已保存</translation>
    </message>
    <message>
        <source>Waiting to send: %1</source>
        <translation>待发送：%1</translation>
    </message>
</context>
<context>
    <name>KioskWindow</name>
    <message>
        <source>Check-in kiosk</source>
        <translation>考勤打卡机</translation>
    </message>
    <message>
        <source>Kiosk mode left: the window can now be closed.</source>
        <translation>已退出自助终端模式：现在可以关闭窗口。</translation>
    </message>
    <message>
        <source>Connecting to the camera…</source>
        <translation>正在连接摄像头…</translation>
    </message>
    <message>
        <source>Camera disconnected – reconnecting…</source>
        <translation>摄像头已断开 – 正在重新连接…</translation>
    </message>
    <message>
        <source>Camera not available – badge scanners still work</source>
        <translation>摄像头不可用 – 扫码枪仍可使用</translation>
    </message>
    <message>
        <source>Camera stopped</source>
        <translation>摄像头已停止</translation>
    </message>
    <message>
        <source>No camera on this terminal – use the badge scanner</source>
        <translation>本终端没有摄像头 – 请使用工牌扫描器</translation>
    </message>
</context>
<context>
    <name>PinPad</name>
    <message>
        <source>IT status panel – enter the admin PIN</source>
        <translation>IT 状态面板 – 请输入管理员 PIN</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>确定</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>No admin PIN is set on this terminal. Set one with: kiosk set-pin</source>
        <translation>本终端未设置管理员 PIN。请用以下命令设置：kiosk set-pin</translation>
    </message>
    <message numerus="yes">
        <source>Too many wrong PINs – locked for %n min.</source>
        <translation>
            <numerusform>错误次数过多 – 已锁定 %n 分钟。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Wrong PIN – tries left: %n</source>
        <translation>
            <numerusform>PIN 错误 – 还可尝试 %n 次</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Problem</name>
    <message>
        <source>Server unreachable: connection refused (%1)</source>
        <translation>无法连接服务器：连接被拒绝（%1）</translation>
    </message>
    <message>
        <source>Server unreachable: name not found (%1)</source>
        <translation>无法连接服务器：找不到该域名（%1）</translation>
    </message>
    <message>
        <source>Server timed out (%1)</source>
        <translation>服务器响应超时（%1）</translation>
    </message>
    <message>
        <source>Server timed out</source>
        <translation>服务器响应超时</translation>
    </message>
    <message>
        <source>Server certificate not trusted (%1)</source>
        <translation>服务器证书不受信任（%1）</translation>
    </message>
    <message>
        <source>Plain http:// to a server that is not this machine is refused (%1): use https://</source>
        <translation>拒绝以明文 http:// 连接非本机的服务器（%1）：请使用 https://</translation>
    </message>
    <message>
        <source>Server closed the connection (%1)</source>
        <translation>服务器断开了连接（%1）</translation>
    </message>
    <message>
        <source>Server unreachable (%1)</source>
        <translation>无法连接服务器（%1）</translation>
    </message>
    <message>
        <source>Server answered %1</source>
        <translation>服务器返回 %1</translation>
    </message>
    <message>
        <source>Server refused the request (%1)</source>
        <translation>服务器拒绝了请求（%1）</translation>
    </message>
    <message>
        <source>Server refused the terminal&apos;s signature: check the clock, or enrol the terminal again</source>
        <translation>服务器不接受本终端的签名：请检查时钟，或重新登记终端</translation>
    </message>
    <message>
        <source>Terminal revoked by the server: punches are kept, not sent</source>
        <translation>终端已被服务器停用：打卡记录保留在本机，不再发送</translation>
    </message>
    <message>
        <source>Warning: plain http:// to %1 is allowed ([sync] allow_insecure_http = true): punches and answers travel unencrypted</source>
        <translation>警告：已允许以明文 http:// 连接 %1（[sync] allow_insecure_http = true）：打卡记录和服务器应答均未加密传输</translation>
    </message>
    <message>
        <source>Terminal not enrolled</source>
        <translation>终端尚未登记</translation>
    </message>
    <message>
        <source>Terminal secret missing: enrol the terminal again</source>
        <translation>缺少终端密钥：请重新登记终端</translation>
    </message>
    <message>
        <source>The secret store (keyring) cannot be read</source>
        <translation>无法读取密钥存储（keyring）</translation>
    </message>
    <message>
        <source>This address is not a check-in server: use the address &apos;kiosk-server serve&apos; prints.</source>
        <translation>此地址不是签到服务器：请使用 &apos;kiosk-server serve&apos; 显示的地址。</translation>
    </message>
    <message>
        <source>An event from the server had a wrong signature and was ignored</source>
        <translation>服务器推送的一条事件签名不符，已忽略</translation>
    </message>
    <message>
        <source>Live updates are held back on the way: asking the server every few seconds instead</source>
        <translation>实时更新在途中被阻滞：改为每隔几秒向服务器查询</translation>
    </message>
    <message>
        <source>The command from IT could not be carried out (%1)</source>
        <translation>无法执行 IT 发来的指令（%1）</translation>
    </message>
    <message>
        <source>Server answer incomplete: will try again</source>
        <translation>服务器应答不完整：稍后重试</translation>
    </message>
    <message>
        <source>The server&apos;s answer was not authenticated (%1): punches stay pending</source>
        <translation>服务器的应答未通过验证（%1）：打卡记录保留待发送</translation>
    </message>
    <message>
        <source>Internal error: see the log</source>
        <translation>内部错误：请查看日志</translation>
    </message>
    <message>
        <source>Disk full: punches cannot be saved. Free some space.</source>
        <translation>磁盘已满：无法保存打卡记录。请释放空间。</translation>
    </message>
    <message>
        <source>Punch storage cannot be written: check the permissions of the data folder</source>
        <translation>打卡存储无法写入：请检查数据文件夹的权限</translation>
    </message>
    <message>
        <source>Punch storage is corrupt: see the log</source>
        <translation>打卡存储已损坏：请查看日志</translation>
    </message>
    <message>
        <source>Punch storage was written by a newer kiosk version: update this kiosk</source>
        <translation>打卡存储由更新版本的自助机写入：请升级本机程序</translation>
    </message>
    <message>
        <source>Punch storage failed: see the log</source>
        <translation>打卡存储出错：请查看日志</translation>
    </message>
    <message>
        <source>The server&apos;s answer was not authenticated: nothing was saved. Check the server address.</source>
        <translation>服务器的应答未通过验证：未保存任何内容。请检查服务器地址。</translation>
    </message>
    <message>
        <source>Sync problem: see the log</source>
        <translation>同步出现问题：请查看日志</translation>
    </message>
    <message>
        <source>The server address must start with http:// or https://</source>
        <translation>服务器地址必须以 http:// 或 https:// 开头</translation>
    </message>
    <message>
        <source>The enrolment code must be 4 to 64 characters long.</source>
        <translation>登记码长度必须为 4 到 64 个字符。</translation>
    </message>
    <message>
        <source>The kiosk config file cannot be read: see the log.</source>
        <translation>无法读取签到机配置文件：请查看日志。</translation>
    </message>
    <message>
        <source>The kiosk config file cannot be written: check the permissions of the config folder.</source>
        <translation>无法写入签到机配置文件：请检查配置文件夹的权限。</translation>
    </message>
    <message>
        <source>The server did not answer in time. Try again.</source>
        <translation>服务器未及时响应。请重试。</translation>
    </message>
    <message>
        <source>Cannot reach the server. Check the address and the network.</source>
        <translation>无法连接服务器。请检查地址和网络。</translation>
    </message>
    <message>
        <source>The server refused the code: it is unknown, expired or already used. Ask the administrator for a new one.</source>
        <translation>服务器拒绝了该登记码：登记码无效、已过期或已被使用。请向管理员索取新的登记码。</translation>
    </message>
    <message>
        <source>The server refused the enrolment (%1).</source>
        <translation>服务器拒绝了登记（%1）。</translation>
    </message>
    <message>
        <source>The server sent an answer this kiosk does not understand.</source>
        <translation>服务器的应答本签到机无法识别。</translation>
    </message>
    <message>
        <source>The secret could not be stored and the code was used: ask the administrator for a new one.</source>
        <translation>密钥无法保存，而登记码已被使用：请向管理员索取新的登记码。</translation>
    </message>
    <message>
        <source>No secret store (keyring) is available on this terminal: see the setup guide.</source>
        <translation>本终端没有可用的密钥存储（keyring）：请参阅安装指南。</translation>
    </message>
    <message>
        <source>Enrolment failed: see the log.</source>
        <translation>登记失败：请查看日志。</translation>
    </message>
</context>
<context>
    <name>Source</name>
    <message>
        <source>Synthetic camera: badges are shown in turn.</source>
        <extracomment>Named conditions used by tests and benchmarks (each alone, at a strength a kiosk meets).</extracomment>
        <translation>模拟摄像头：依次展示工牌。</translation>
    </message>
    <message>
        <source>in memory (demo only: forgotten on exit)</source>
        <translation>内存中（仅演示用：退出即清除）</translation>
    </message>
</context>
<context>
    <name>StatusPanel</name>
    <message>
        <source>Terminal:</source>
        <translation>终端：</translation>
    </message>
    <message>
        <source>Site:</source>
        <translation>地点：</translation>
    </message>
    <message>
        <source>Version:</source>
        <translation>版本：</translation>
    </message>
    <message>
        <source>Connection:</source>
        <translation>连接：</translation>
    </message>
    <message>
        <source>Last sync:</source>
        <translation>上次同步：</translation>
    </message>
    <message>
        <source>Waiting to send:</source>
        <translation>待发送：</translation>
    </message>
    <message>
        <source>Oldest waiting:</source>
        <translation>最早待发送：</translation>
    </message>
    <message>
        <source>Rejected by server:</source>
        <translation>被服务器拒绝：</translation>
    </message>
    <message>
        <source>Clock offset:</source>
        <translation>时钟偏差：</translation>
    </message>
    <message>
        <source>Camera:</source>
        <translation>摄像头：</translation>
    </message>
    <message>
        <source>Disk free:</source>
        <translation>磁盘可用：</translation>
    </message>
    <message>
        <source>Secret store:</source>
        <translation>密钥存储：</translation>
    </message>
    <message>
        <source>Scanner:</source>
        <translation>扫码枪：</translation>
    </message>
    <message>
        <source>Problem:</source>
        <translation>问题：</translation>
    </message>
    <message>
        <source>Sync now</source>
        <translation>立即同步</translation>
    </message>
    <message>
        <source>Test camera</source>
        <translation>测试摄像头</translation>
    </message>
    <message>
        <source>Scan a test code</source>
        <translation>扫描测试码</translation>
    </message>
    <message>
        <source>Export diagnostics</source>
        <translation>导出诊断包</translation>
    </message>
    <message>
        <source>Leave kiosk mode</source>
        <translation>退出自助终端模式</translation>
    </message>
    <message>
        <source>Back to kiosk</source>
        <translation>返回打卡界面</translation>
    </message>
    <message>
        <source>Terminal status</source>
        <translation>终端状态</translation>
    </message>
    <message>
        <source>Rejected punches (latest first):</source>
        <translation>被拒绝的打卡（最新在前）：</translation>
    </message>
    <message>
        <source>Recent log:</source>
        <translation>最近日志：</translation>
    </message>
    <message>
        <source>running</source>
        <translation>运行中</translation>
    </message>
    <message>
        <source>connecting</source>
        <translation>正在连接</translation>
    </message>
    <message>
        <source>reconnecting</source>
        <translation>正在重新连接</translation>
    </message>
    <message>
        <source>not available</source>
        <translation>不可用</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>focus %1, brightness %2</source>
        <translation>清晰度 %1，亮度 %2</translation>
    </message>
    <message>
        <source>no code in the last %1 frames</source>
        <translation>最近 %1 帧中没有码</translation>
    </message>
    <message>
        <source>read %1 of %2 frames with a code</source>
        <translation>含码的 %2 帧中读取 %1</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>no</source>
        <translation>否</translation>
    </message>
    <message>
        <source>Arrived: %1 (%2 characters)</source>
        <translation>收到：%1（%2 个字符）</translation>
    </message>
    <message>
        <source>Keys every %1 ms (slowest gap %2 ms); Enter at the end: %3; doubled output: %4</source>
        <translation>按键间隔 %1 毫秒（最长 %2 毫秒）；结尾回车：%3；重复输出：%4</translation>
    </message>
    <message>
        <source>Layout: %1</source>
        <translation>键盘布局：%1</translation>
    </message>
    <message>
        <source>matches this terminal&apos;s</source>
        <translation>与本终端一致</translation>
    </message>
    <message>
        <source>no layout problem seen</source>
        <translation>未发现键盘布局问题</translation>
    </message>
    <message>
        <source>Caps Lock is on: badges are still read, but switch it off.</source>
        <translation>大写锁定已开启：工牌仍可读取，但请关闭大写锁定。</translation>
    </message>
    <message>
        <source>German (QWERTZ)</source>
        <translation>德语（QWERTZ）</translation>
    </message>
    <message>
        <source>French (AZERTY)</source>
        <translation>法语（AZERTY）</translation>
    </message>
    <message>
        <source>Belgian (AZERTY)</source>
        <translation>比利时（AZERTY）</translation>
    </message>
    <message>
        <source>The scanner types for a US keyboard but this terminal&apos;s layout is %1: badges are still read; program the scanner for %1, or set this terminal&apos;s layout to US.</source>
        <translation>扫码枪按美式键盘输入，但本终端的键盘布局是%1：工牌仍可读取；请将扫码枪设置为%1，或将本终端的布局改为美式。</translation>
    </message>
    <message>
        <source>Switch Caps Lock off as well.</source>
        <translation>同时请关闭大写锁定。</translation>
    </message>
    <message>
        <source>not tried yet</source>
        <translation>尚未尝试</translation>
    </message>
    <message>
        <source>reachable, in use</source>
        <translation>可连接，正在使用</translation>
    </message>
    <message>
        <source>terminal revoked by the server – not sending; punches kept</source>
        <translation>终端已被服务器注销 – 停止发送；打卡已保留</translation>
    </message>
    <message>
        <source>not contacted yet</source>
        <translation>尚未连接</translation>
    </message>
    <message>
        <source>#%1 %2 badge %3: %4</source>
        <translation>#%1 %2 工牌 %3：%4</translation>
    </message>
    <message>
        <source>reachable</source>
        <translation>可连接</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <source>%1 min</source>
        <translation>%1 分钟</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 小时 %2 分钟</translation>
    </message>
    <message>
        <source>Servers:</source>
        <translation>服务器：</translation>
    </message>
    <message>
        <source>unreachable</source>
        <translation>无法连接</translation>
    </message>
    <message>
        <source>never</source>
        <translation>从未</translation>
    </message>
    <message>
        <source>%1, %2 fps, decode %3 ms</source>
        <translation>%1，%2 帧/秒，解码 %3 毫秒</translation>
    </message>
    <message>
        <source>outbox was corrupt, moved to %1</source>
        <translation>发件箱文件损坏，已移至 %1</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
</context>
</TS>
