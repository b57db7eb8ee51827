"""The console's two languages: English source strings, Simplified Chinese catalogue.

Templates call ``_("Sign in")``; the English text is the key (as with gettext), so a
missing translation shows English rather than an identifier. tests/console/test_i18n.py
fails when a string used in a template or in ``MESSAGES`` has no Chinese entry.
"""

from __future__ import annotations

from collections.abc import Callable

LANGUAGES = ("en", "zh_CN")
LANGUAGE_NAMES = {"en": "English", "zh_CN": "简体中文"}

# Sentences for problem codes raised by the console's routes (codes, not sentences, travel).
MESSAGES: dict[str, str] = {
    "bad_credentials": "Wrong username or password.",
    "login_limited": "Too many failed sign-ins. Wait 15 minutes and try again.",
    "csrf": "This form has expired. Reload the page and try again.",
    "signed_out": "You have signed out.",
    "timed_out": "Your session ended. Please sign in again.",
    "forbidden": "Your role does not allow this page.",
    "not_found": "There is no such page or record.",
    "bad_request": "The request was not understood.",
    "too_large": "The upload is too large.",
    "bad_range": "Dates must be between 2000-01-01 and 2100-12-31, at most 367 days, from before to.",
    "bad_date": "Dates must look like 2026-11-02.",
    "import_failed": "Nothing was imported: fix the rows below and upload the file again.",
    "no_file": "Choose a CSV file to upload.",
    "refused": "The action was refused.",
}

ZH_CN: dict[str, str] = {
    # layout, sign-in
    "Check-in console": "考勤管理台",
    "Username": "用户名",
    "Password": "密码",
    "Sign in": "登录",
    "Sign out": "退出",
    "Signed in as": "当前用户",
    "Language": "语言",
    "Today": "今日",
    "Attendance": "考勤",
    "Employees": "员工",
    "Corrections": "补卡",
    "Terminals": "终端",
    "Audit": "审计",
    "Server time": "服务器时间",
    "Updates by itself every few seconds.": "页面每隔几秒自动更新。",
    # Today
    "In": "在岗",
    "Late": "迟到",
    "Not in yet": "尚未到岗",
    "Left": "已离开",
    "Off today": "今日休息",
    "Latest punch received": "最近收到的打卡",
    "none yet": "暂无",
    "Completeness": "完整性",
    "no terminals at this site": "此地点没有终端",
    "complete up to": "已完整至",
    "%(current)s of %(terminals)s terminals current": "%(terminals)s 台终端中 %(current)s 台为最新",
    "not known to be complete": "尚不能确认完整",
    "annual": "年假",
    "sick": "病假",
    "unpaid": "事假",
    "parental": "育儿假",
    "training": "培训",
    "other": "其他",
    "On leave": "请假",
    "Nobody.": "无。",
    "Name": "姓名",
    "Employee": "员工",
    "Shift": "班次",
    "Check-in": "签到",
    "Check-out": "签退",
    "late by": "迟到",
    "min": "分钟",
    "shift started": "班次已开始",
    "shift starts": "班次开始于",
    "no shift": "无班次",
    "Work day": "工作日",
    "No sites yet.": "尚无站点。",
    "employees": "名员工",
    # Attendance
    "From": "从",
    "To": "到",
    "Site": "站点",
    "All sites": "所有站点",
    "Employee id": "员工编号",
    "Show": "显示",
    "Download CSV": "下载 CSV",
    "Download XLSX": "下载 XLSX",
    "Day rows": "每日记录",
    "Monthly summary": "月度汇总",
    "Month": "月份",
    "Days present": "出勤天数",
    "Days late": "迟到天数",
    "Minutes late": "迟到分钟",
    "Days absent": "缺勤天数",
    "Missing check-outs": "漏签退",
    "Worked (h)": "工作时长（小时）",
    "Overtime (h)": "加班（小时）",
    "Leave days": "请假天数",
    "Notes": "备注",
    "expected": "待到岗",
    "not_in": "未到岗",
    "auto_closed": "自动签退",
    "holiday": "节假日",
    "leave": "请假",
    "Date": "日期",
    "Status": "状态",
    "Late (min)": "迟到（分钟）",
    "Early leave (min)": "早退（分钟）",
    "Punches": "打卡次数",
    "No rows.": "没有记录。",
    "Showing the first": "仅显示前",
    "rows; the download has all": "行；下载文件包含全部",
    "present": "出勤",
    "missing_check_out": "漏签退",
    "open": "进行中",
    "absent": "缺勤",
    # Employees
    "Search": "搜索",
    "Add an employee": "添加员工",
    "Add": "添加",
    "Save": "保存",
    "Active": "在职",
    "All": "全部",
    "Inactive": "已停用",
    "Deactivate": "停用",
    "Reactivate": "重新启用",
    "Import a CSV": "导入 CSV",
    "Import": "导入",
    "Columns: employee_id, name, site, shift (optional), separated by commas, semicolons or tabs. A file with any bad row stores nothing.":
        "列：employee_id、name、site、shift（可选），以逗号、分号或制表符分隔。只要有一行有误，整个文件都不会导入。",
    "CSV file": "CSV 文件",
    "Line": "行",
    "Problem": "问题",
    "Imported": "已导入",
    "Badges": "工牌",
    "Badge": "工牌",
    "Issued": "签发时间",
    "Expires": "到期时间",
    "Revoked": "已吊销",
    "Revoke": "吊销",
    "Valid": "有效",
    "Issue a badge and print it": "签发工牌并打印",
    "Validity (days)": "有效期（天）",
    "Recent punches": "最近打卡",
    "Time": "时间",
    "Terminal": "终端",
    "Verdict": "结果",
    "accepted": "已接受",
    "rejected": "已拒绝",
    "Edit": "编辑",
    "(none)": "（无）",
    "Back": "返回",
    "Print": "打印",
    # Corrections
    "Direction": "方向",
    "Reason": "原因",
    "Requested by": "申请人",
    "Decision": "处理",
    "Note": "备注说明",
    "Approve": "批准",
    "Reject": "驳回",
    "Approve now": "立即批准",
    "File a make-up punch": "登记补卡",
    "pending": "待审批",
    "all": "全部",
    "approved": "已批准",
    "check_in": "签到",
    "check_out": "签退",
    "The action was refused.": "操作被拒绝。",
    # Terminals
    "Add a terminal": "添加终端",
    "State": "状态",
    "Version": "版本",
    "Last heartbeat": "最近心跳",
    "Queue": "队列",
    "Oldest waiting": "最久等待",
    "Clock offset": "时钟偏差",
    "Sequence gaps": "序号缺口",
    "may be lost": "可能丢失",
    "Outbox replacements": "发件箱替换",
    "Last error": "最近错误",
    "never": "从未",
    "none": "无",
    "active": "运行中",
    "revoked": "已吊销",
    "awaiting_enrolment": "等待注册",
    "Valid for (days)": "有效期（天）",
    "Command": "指令",
    "Commands": "指令",
    "Sync now": "立即同步",
    "Reload roster": "重新载入名册",
    "Send diagnostics": "上传诊断包",
    "Show a message": "在待机屏显示消息",
    "Message for the idle screen": "待机屏消息",
    "Send": "发送",
    "Sent": "发送时间",
    "By": "发送人",
    "Answer": "应答",
    "acknowledged": "已确认",
    "done": "已完成",
    "failed": "失败",
    "Diagnostics": "诊断包",
    "No commands sent yet.": "尚未发送指令。",
    "One-time enrolment code": "一次性注册码",
    "Type this code on the kiosk, or show it this QR code. It is shown only once.":
        "在终端上输入此代码，或将此二维码对准终端的摄像头。此代码只显示一次。",
    "The QR also tells the kiosk the server address": "二维码同时告诉终端服务器地址",
    "Revoke this terminal? Its uploads will be refused.": "确定吊销此终端？其上传将被拒绝。",
    "No terminals yet.": "尚无终端。",
    # Audit
    "When": "时间",
    "Who": "操作者",
    "What": "操作",
    "Target": "对象",
    "From where": "来源",
    "Details": "详情",
    "All actions": "所有操作",
    "Filter": "筛选",
    # MESSAGES
    "Wrong username or password.": "用户名或密码错误。",
    "Too many failed sign-ins. Wait 15 minutes and try again.": "登录失败次数过多，请 15 分钟后再试。",
    "This form has expired. Reload the page and try again.": "表单已过期，请刷新页面后重试。",
    "You have signed out.": "您已退出。",
    "Your session ended. Please sign in again.": "会话已结束，请重新登录。",
    "Your role does not allow this page.": "您的角色无权访问此页面。",
    "There is no such page or record.": "没有这个页面或记录。",
    "The request was not understood.": "无法理解该请求。",
    "The upload is too large.": "上传的文件太大。",
    "Dates must be between 2000-01-01 and 2100-12-31, at most 367 days, from before to.":
        "日期须在 2000-01-01 至 2100-12-31 之间，最多 367 天，且起始日不晚于结束日。",
    "Dates must look like 2026-11-02.": "日期格式应为 2026-11-02。",
    "Nothing was imported: fix the rows below and upload the file again.":
        "未导入任何数据：请修正以下各行后重新上传。",
    "Choose a CSV file to upload.": "请选择要上传的 CSV 文件。",
    "Something went wrong": "出错了",
}

CATALOGS: dict[str, dict[str, str]] = {"en": {}, "zh_CN": ZH_CN}


def gettext_for(lang: str) -> Callable[[str], str]:
    catalog = CATALOGS.get(lang, {})

    def _(text: str) -> str:
        return catalog.get(text, text)

    return _


def pick_language(query: str | None, cookie: str | None, accept: str | None) -> str:
    """``?lang=`` first, then the remembered choice, then the browser's preference."""
    for choice in (query, cookie):
        if choice in LANGUAGES:
            return choice
    for part in (accept or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh_CN"
        if tag.startswith("en"):
            return "en"
    return "en"
